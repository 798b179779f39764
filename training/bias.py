"""Label schemes against surveillance bias: what the booster learns from (`TrainConfig.label_scheme`).

The label is a *detected* outcome, and a home visit finds outcomes nobody else reported (an unsupervised
child, neglect, abuse, self-harm, an injury seen within days). Children who are visited more therefore carry
more positive labels for the same true risk, and a model trained on them learns partly who gets looked at.
Each scheme below changes only what the booster is fitted to; calibration still maps the margin to the rate of
*detected* outcomes (the probability a page shows), and every metric is computed as before.

- `detected` (the default): the detected label, unweighted.
- `exposure_weighted`: inverse detection-exposure weights. Children are grouped by their *recorded* exposure
  (visits in the last 90 days); in each group the ratio of visit-findable to visit-proof outcomes in the
  detected label, over the same ratio among children with no visit (within the same tier of the tier rule),
  estimates how much more the group's visit-findable outcomes get detected. A positive row is weighted by
  its inverse. Only recorded indicators and detected labels enter, never the simulator's truth.
- `visit_proof`: a label counting only outcome types a visit never finds and other channels report
  (drowning: a clinic or hospital; dropout: the school roll; a missing child: the family and police).
- `type_weighted`: the detected label, with positive rows whose outcomes are all visit-findable weighted down
  by `VISIT_FINDABLE_WEIGHT`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SCHEMES = ("detected", "exposure_weighted", "visit_proof", "type_weighted")
# simulation.params DETECT_AT_VISIT: the outcome types a home visit can find; the others reach the records
# only through a clinic, the school roll, the family or the police, whoever is visited
VISIT_FINDABLE = ("unsupervised", "neglect", "abuse", "self_harm", "injury")
VISIT_PROOF = ("drowning", "dropout", "missing")
# the exposure ratio's reference types: visit-proof and possible for every child (dropout needs enrolment,
# so it would make unenrolled children look heavily exposed)
EXPOSURE_REFERENCE = ("drowning", "missing")
EXPOSURE_INDICATOR = "visits_90d"
EXPOSURE_BINS = (0.5, 1.5, 2.5)  # 0, 1, 2, 3+ visits in the last 90 days
WEIGHT_CLIP = (0.2, 5.0)
VISIT_FINDABLE_WEIGHT = 0.5


@dataclass(frozen=True)
class Target:
    """What the booster is fitted to: a 0/1 label and a weight per row (None = all 1)."""

    label: np.ndarray
    weight: np.ndarray | None


def _any(frame: pd.DataFrame, types: tuple[str, ...]) -> np.ndarray:
    cols = [f"label_{t}" for t in types if f"label_{t}" in frame]
    if not cols:
        raise ValueError(f"the matrix has no label columns for {', '.join(types)}")
    return (frame[cols].to_numpy(dtype="int64") > 0).any(axis=1)


def exposure_stratum(frame: pd.DataFrame) -> np.ndarray:
    """0, 1, 2, 3 for 0, 1, 2, 3+ recorded visits in the last 90 days (missing counts as none)."""
    visits = frame[EXPOSURE_INDICATOR].to_numpy(dtype="float64", na_value=np.nan)
    return np.digitize(np.nan_to_num(visits, nan=0.0), EXPOSURE_BINS)


def detection_exposure(frame: pd.DataFrame, adjust_for_tier: bool = True) -> pd.Series:
    """Per exposure stratum, the estimated detection of visit-findable outcomes relative to the unvisited:
    the ratio of findable to reference outcomes in the stratum over the same among children with no
    recorded visit. Visits go to the children the tier rule ranks high, whose findable risk is higher for
    real; so the ratio is pooled within tiers (training.baselines.tier, Mantel–Haenszel), each tier's
    visited children compared with its unvisited. Half a count is added to every cell."""
    from training.baselines import tier

    stratum = exposure_stratum(frame)
    findable = _any(frame, VISIT_FINDABLE)
    reference = _any(frame, EXPOSURE_REFERENCE)
    tiers = tier(frame) if adjust_for_tier else np.zeros(len(frame), dtype="int64")
    relative = {0: 1.0}
    for s in range(1, len(EXPOSURE_BINS) + 1):
        top = bottom = 0.0
        for t in np.unique(tiers):
            here, there = (tiers == t) & (stratum == s), (tiers == t) & (stratum == 0)
            if not here.any() or not there.any():
                continue
            n = here.sum() + there.sum()
            a_s, b_s = findable[here].sum() + 0.5, reference[here].sum() + 0.5
            a_0, b_0 = findable[there].sum() + 0.5, reference[there].sum() + 0.5
            top += a_s * b_0 / n
            bottom += a_0 * b_s / n
        relative[s] = top / bottom if bottom else 1.0
    return pd.Series(relative, name="relative_detection")


def exposure_weights(frame: pd.DataFrame, relative: pd.Series | None = None) -> np.ndarray:
    """Weight 1 for negatives; for a positive row, 1 / its stratum's relative detection (clipped)."""
    relative = detection_exposure(frame) if relative is None else relative
    stratum = exposure_stratum(frame)
    inverse = np.clip(1.0 / relative.reindex(stratum).to_numpy(dtype="float64"), *WEIGHT_CLIP)
    positive = frame["label"].to_numpy(dtype="int64") > 0
    return np.where(positive, inverse, 1.0)


def target(frame: pd.DataFrame, scheme: str) -> Target:
    """The label and weights the booster is fitted to under `scheme` (see the module docstring)."""
    label = frame["label"].to_numpy(dtype="int64")
    if scheme == "detected":
        return Target(label, None)
    if scheme == "exposure_weighted":
        return Target(label, exposure_weights(frame))
    if scheme == "visit_proof":
        return Target(_any(frame, VISIT_PROOF).astype("int64"), None)
    if scheme == "type_weighted":
        only_findable = (label > 0) & ~_any(frame, VISIT_PROOF)
        return Target(label, np.where(only_findable, VISIT_FINDABLE_WEIGHT, 1.0))
    raise ValueError(f"unknown label scheme {scheme!r} (one of {', '.join(SCHEMES)})")
