"""The fairness gate's judgement: each group's recall ratio with a bootstrap interval.

A group fails only when its whole interval lies outside 0.8–1.25 *and* its point estimate does too: a ratio
that merely wanders outside the band by sampling noise (the recall ratio of a few hundred outcomes has a
standard deviation near 0.14) is not a finding. An interval that reaches into the band but is wider
than `MAX_WIDTH` (upper / lower) is "too few to judge" (不足以判断): the data cannot tell a fair model from an
unfair one for that group, and the gate says so instead of passing it silently. (An interval wholly outside
the band fails however wide it is.) A group with fewer than `MIN_EVENTS` outcomes is too few without
bootstrapping.

Recall (the share of a group's children with an outcome who are on the visit list) is the gated rate: a list
that misses one group's at-risk children more often is the harm the gate refuses. The false-positive and
selection rates are reported (fairness.md) but not gated: with a calibrated score, a group with more risk is
rightly selected more often, so their ratios differ for a fair model too.

The interval is a cluster bootstrap over children (a child appears at several as-of dates of a test window,
and those rows are not independent): Poisson(1) weights per child, the group and the reference resampled
independently, percentile interval of the ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from training.fairness import BAND

LEVEL = 0.95  # two-sided coverage of the interval
MAX_WIDTH = 2.0  # upper / lower bound of the interval; wider = too few to judge
MIN_EVENTS = 10  # fewer outcomes than this in a group (or the reference): too few, without bootstrapping
BOOTSTRAPS = 2000
OUTSIDE, WITHIN, TOO_FEW = "outside", "not shown outside", "too few"
FAIL, PASS, UNJUDGED = "FAIL", "PASS", "TOO FEW"
AGAINST_LABELS = {"detected": "detected outcomes", "true": "true outcomes (simulated)"}
AGAINST_ZH = {"detected": "被发现的不良事件", "true": "真实不良事件（模拟）"}
VERDICT_ZH = {OUTSIDE: "超出范围", WITHIN: "未显示超出范围", TOO_FEW: "不足以判断"}


@dataclass(frozen=True)
class GroupCheck:
    """One group's recall ratio against the reference group, with its interval and verdict."""

    attribute: str
    against: str  # "detected" or "true"
    group: str
    reference: str
    ratio: float
    low: float
    high: float
    events: int  # outcomes in the group (rows)
    reference_events: int
    verdict: str  # OUTSIDE | WITHIN | TOO_FEW

    def describe(self) -> str:
        where = f"{self.attribute}={self.group} vs {self.reference}, {AGAINST_LABELS[self.against]}"
        if np.isnan(self.ratio):
            return f"{where}: recall ratio undefined ({self.events} outcomes) — too few to judge"
        return (
            f"{where}: recall ratio {self.ratio:.2f} [{self.low:.2f}, {self.high:.2f}] "
            f"({self.events} outcomes) — {self.verdict}"
        )


@dataclass(frozen=True)
class Judgement:
    """The gate's view of one audit attribute: every non-reference group, against detected outcomes and (in
    simulation) true ones."""

    attribute: str
    checks: tuple[GroupCheck, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> list[GroupCheck]:
        return [c for c in self.checks if c.verdict == OUTSIDE]

    @property
    def unjudged(self) -> tuple[str, ...]:
        return tuple(
            f"{c.group} ({AGAINST_LABELS[c.against]}, {c.events} outcomes)"
            for c in self.checks
            if c.verdict == TOO_FEW
        )

    @property
    def verdict(self) -> str:
        if self.failed:
            return FAIL
        return PASS if any(c.verdict == WITHIN for c in self.checks) else UNJUDGED

    def worst(self, against: str = "detected") -> GroupCheck | None:
        """The judged check farthest from 1 (a failed one first), or None when nothing could be judged."""
        judged = [c for c in self.checks if c.against == against and c.verdict != TOO_FEW]
        if not judged:
            return None
        return max(judged, key=lambda c: (c.verdict == OUTSIDE, abs(np.log(max(c.ratio, 1e-9)))))

    def describe(self) -> str:
        parts = []
        for against in AGAINST_LABELS:
            worst = self.worst(against)
            if worst is not None:
                parts.append(worst.describe())
        if not parts:
            return f"{self.attribute}: no group large enough to judge"
        return f"{self.attribute} {self.verdict}: " + "; ".join(parts)


def _per_child(y: np.ndarray, s: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and selected outcomes per child, for the children with at least one outcome (the others
    do not enter recall)."""
    keep = y.astype(bool)
    if not keep.any():
        return np.zeros(0), np.zeros(0)
    codes, _ = pd.factorize(pd.Series(clusters[keep]))
    pos = np.bincount(codes).astype("float64")
    hits = np.bincount(codes, weights=s[keep].astype("float64"))
    return pos, hits


def _bootstrap_recall(pos: np.ndarray, hits: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    weights = rng.poisson(1.0, size=(n, len(pos))).astype("float64")
    denominator = weights @ pos
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (weights @ hits) / denominator, np.nan)


def recall_checks(
    y: np.ndarray,
    selected: np.ndarray,
    groups: pd.Series,
    clusters: np.ndarray | None = None,
    *,
    attribute: str,
    against: str = "detected",
    reference: str | None = None,
    band: tuple[float, float] = BAND,
    max_width: float = MAX_WIDTH,
    min_events: int = MIN_EVENTS,
    bootstraps: int = BOOTSTRAPS,
    seed: int = 0,
) -> list[GroupCheck]:
    """Each group's recall@selection over the reference group's (default: the group with most outcomes), with
    a cluster-bootstrap interval and the verdict of the rule above. `clusters` (the child key) defaults to
    one cluster per row."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(selected).astype(bool)
    names = groups.astype("string").fillna("(missing)").to_numpy(dtype=object)
    clusters = np.arange(len(y)) if clusters is None else np.asarray(clusters)
    counts = pd.Series(y).groupby(names).sum()
    if counts.empty:
        return []
    ref = str(reference) if reference is not None else str(counts.idxmax())
    rng = np.random.default_rng(seed)
    alpha = (1 - LEVEL) / 2

    def stats(name: str) -> tuple[float, np.ndarray, int]:
        mask = names == name
        pos, hits = _per_child(y[mask], s[mask], clusters[mask])
        point = hits.sum() / pos.sum() if pos.sum() else float("nan")
        boot = _bootstrap_recall(pos, hits, bootstraps, rng) if pos.sum() >= min_events else np.array([])
        return point, boot, int(pos.sum())

    ref_point, ref_boot, ref_events = stats(ref)
    lo_band, hi_band = band
    out = []
    for name in sorted(set(names) - {ref}):
        point, boot, events = stats(name)
        ratio, low, high = float("nan"), float("nan"), float("nan")
        if ref_point > 0 and not np.isnan(point):
            ratio = point / ref_point
        if len(boot) and len(ref_boot):
            with np.errstate(invalid="ignore", divide="ignore"):
                draws = boot / ref_boot
            draws = draws[np.isfinite(draws)]
            if len(draws) > 0.9 * bootstraps:
                low, high = (float(q) for q in np.quantile(draws, [alpha, 1 - alpha]))
        if np.isnan(ratio) or np.isnan(low):
            verdict = TOO_FEW
        elif (high < lo_band or low > hi_band) and not lo_band <= ratio <= hi_band:
            verdict = OUTSIDE  # however wide: an interval wholly outside the band is a finding
        elif low <= 0 or high / low > max_width:
            verdict = TOO_FEW
        else:
            verdict = WITHIN
        out.append(
            GroupCheck(attribute, against, str(name), ref, ratio, low, high, events, ref_events, verdict)
        )
    return out


def judge(
    frame: pd.DataFrame,
    selections: dict[str, np.ndarray],
    attributes: Sequence[str],
    *,
    label: str = "label",
    truth: str | None = "true_label",
    seed: int = 0,
    max_width: float = MAX_WIDTH,
) -> list[Judgement]:
    """One `Judgement` per attribute present in `frame`. `selections[attribute]` (else `selections["*"]`) is
    the visit list the attribute is judged on. Against `truth` too where the frame has it (simulated data)."""
    clusters = frame["child_key"].to_numpy() if "child_key" in frame else None
    known = None
    if truth and truth in frame and frame[truth].notna().any():
        known = frame[truth].notna().to_numpy()
    out = []
    for i, attribute in enumerate(attributes):
        if attribute not in frame:
            continue
        selected = np.asarray(selections.get(attribute, selections.get("*")))
        common = {"attribute": attribute, "seed": seed + i, "max_width": max_width}
        checks = recall_checks(frame[label].to_numpy(), selected, frame[attribute], clusters, **common)
        if known is not None:
            checks += recall_checks(
                frame.loc[known, truth].to_numpy(dtype="int64"),
                selected[known],
                frame.loc[known, attribute],
                None if clusters is None else clusters[known],
                against="true",
                **common,
            )
        out.append(Judgement(attribute, tuple(checks)))
    return out


def checks_table(judgement: Sequence[Judgement]) -> pd.DataFrame:
    """Every check as a row (for fairness/gate.csv and the model card)."""
    rows = [
        {
            "attribute": c.attribute,
            "against": c.against,
            "group": c.group,
            "reference": c.reference,
            "outcomes": c.events,
            "recall_ratio": c.ratio,
            "low": c.low,
            "high": c.high,
            "verdict": c.verdict,
        }
        for j in judgement
        for c in j.checks
    ]
    return pd.DataFrame(rows)
