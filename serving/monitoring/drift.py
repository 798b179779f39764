"""Drift of the score and of each model input at an as-of date against the champion's reference cohort (the
histograms stored with the model, `model_contract.DRIFT`). Binning and PSI: `shouhu_core.drift`.

A champion logged before the reference was stored has no histograms: its score drift is then measured on the
percentile, which is uniform over the reference cohort by construction (ten bins of 10 %), and input drift is
not measured (said in the figure's detail)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from serving.monitoring.figures import PSI_INPUT, PSI_SCORE, PSI_SCORE_TOWNSHIP, Figure
from shouhu_core import drift

DECILES = [10.0 * i for i in range(1, 10)]
# a township's score PSI is given only from this many children: an unchanged score's PSI has a standard error
# of about √20 / n (0.02 at 200), small beside the 0.25 alert line (docs/operations.md)
TOWNSHIP_MIN_CHILDREN = 200


def score_drift_from_percentile(percentile: np.ndarray, threshold: float, area: str | None) -> Figure:
    """PSI of the live percentiles against the reference's uniform deciles."""
    live = drift.shares(drift.counts_in(np.asarray(percentile, dtype="float64"), DECILES))
    ref = [0.1] * 10 + [0.0]
    value = drift.psi(ref, live)
    return Figure(
        PSI_SCORE,
        "score",
        value,
        area_code=area,
        alert=value > threshold,
        detail={"basis": "percentile", "n": len(percentile)},
    )


def drift_figures(
    reference: Mapping[str, Any] | None,
    inputs: Mapping[str, np.ndarray],
    margin: np.ndarray,
    percentile: np.ndarray,
    threshold: float,
    area: str | None,
    labels: Mapping[str, str] | None = None,
) -> list[Figure]:
    """Score PSI and one PSI per input (largest first), alerting above `threshold`."""
    if reference is None:
        fig = score_drift_from_percentile(percentile, threshold, area)
        return [
            Figure(
                fig.metric,
                fig.subject,
                fig.value,
                fig.area_code,
                fig.alert,
                {**fig.detail, "inputs": "the champion stores no reference histograms"},
            )
        ]
    score = drift.psi_against(reference["score"], margin)
    out = [
        Figure(
            PSI_SCORE,
            "score",
            score,
            area_code=area,
            alert=score > threshold,
            detail={"basis": "margin", "n": len(margin)},
        )
    ]
    table = drift.psi_table(reference, inputs)
    for name, value in sorted(table.items(), key=lambda kv: -kv[1]):
        out.append(
            Figure(
                PSI_INPUT,
                name,
                value,
                area_code=area,
                alert=value > threshold,
                detail={"label_zh": (labels or {}).get(name, name)},
            )
        )
    return out


def township_score_drift(
    reference: Mapping[str, Any] | None,
    townships: np.ndarray,
    margin: np.ndarray,
    percentile: np.ndarray,
    threshold: float,
    min_children: int = TOWNSHIP_MIN_CHILDREN,
) -> list[Figure]:
    """Score PSI per township with at least `min_children` children measured: a shift in one township (a
    feed gone wrong there, a new school) that the county's figure averages away. Not a retraining trigger."""
    out = []
    for township in sorted({str(t) for t in townships if t is not None and t == t}):
        mine = townships == township
        n = int(mine.sum())
        if n < min_children:
            continue
        if reference is None:
            value = score_drift_from_percentile(percentile[mine], threshold, township).value
            basis = "percentile"
        else:
            value = drift.psi_against(reference["score"], margin[mine])
            basis = "margin"
        out.append(
            Figure(
                PSI_SCORE_TOWNSHIP,
                "score",
                value,
                area_code=township,
                alert=value is not None and value > threshold,
                detail={"basis": basis, "n": n},
            )
        )
    return out
