"""Drift of the score and of each model input at an as-of date against the champion's reference cohort (the
histograms stored with the model, `model_contract.DRIFT`). Binning and PSI: `shouhu_core.drift`.

A champion logged before the reference was stored has no histograms: its score drift is then measured on the
percentile, which is uniform over the reference cohort by construction (ten bins of 10 %), and input drift is
not measured (said in the figure's detail)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from serving.monitoring.figures import PSI_INPUT, PSI_SCORE, Figure
from shouhu_core import drift

DECILES = [10.0 * i for i in range(1, 10)]


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
