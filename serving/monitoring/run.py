"""One monitoring run at an as-of date: every figure of `serving.monitoring`, with its alerts, and a summary
(the champion, its gates, notes). Values come in as parameters; only the CLI reads settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from features.backend import Backend, open_warehouse
from serving.monitoring import casework, drift, feeds, lists
from serving.monitoring.figures import Figure
from serving.monitoring.sample import sampled_warehouse

# (warehouse path or open warehouse, as-of date, spec) -> feature matrix; default: build_matrix
MatrixBuilder = Callable[[Path | Backend, dt.date, Any], pd.DataFrame]


@dataclass(frozen=True)
class Thresholds:
    stale_days: int = 14
    quarantine_rate: float = 0.05
    psi: float = 0.25
    min_precision: float = 0.0
    override_share: float = 0.5


@dataclass
class ChampionView:
    """What monitoring needs of the champion: its identity, inputs' spec, a scorer and its drift reference."""

    name: str
    version: str
    spec: Any  # features.spec.FeatureSpec
    predict: Callable[[pd.DataFrame], pd.DataFrame]  # the pyfunc's output contract columns
    inputs: list[str]
    reference: dict[str, Any] | None
    labels: dict[str, str] = field(default_factory=dict)  # input -> Chinese label
    gates: str = ""
    gates_passed: bool = True
    gates_status: str = "passed"  # model_contract.GateStatus
    registered_at: dt.datetime | None = None


@dataclass
class MonitorResult:
    as_of: dt.date
    figures: list[Figure]
    summary: dict[str, Any]

    @property
    def alerts(self) -> list[Figure]:
        return [f for f in self.figures if f.alert]

    def of(self, metric: str) -> list[Figure]:
        return [f for f in self.figures if f.metric == metric]


def default_matrix(warehouse: Path | Backend, as_of: dt.date, spec: Any) -> pd.DataFrame:
    from features.pipeline import build_matrix

    return build_matrix(warehouse, [pd.Timestamp(as_of)], spec=spec)


def model_drift(
    warehouse: Path,
    as_of: dt.date,
    champion: ChampionView,
    threshold: float,
    county: str | None,
    builder: MatrixBuilder = default_matrix,
    sample: int | None = None,
) -> list[Figure]:
    """Drift of the score and inputs; on a fixed sample (by key) of `sample` children when the warehouse holds
    more (serving/monitoring/sample.py), else on all of them."""
    sampled = sampled_warehouse(warehouse, as_of, sample, champion.spec) if sample else None
    try:
        matrix = builder(sampled[0] if sampled else warehouse, as_of, champion.spec)
    finally:
        if sampled:
            sampled[0].close()
    if matrix.empty:
        return []
    scored = champion.predict(matrix)
    inputs = {n: matrix[n].to_numpy(dtype="float64", na_value=np.nan) for n in champion.inputs if n in matrix}
    figures = drift.drift_figures(
        champion.reference,
        inputs,
        pd.to_numeric(scored["margin"]).to_numpy(dtype="float64"),
        pd.to_numeric(scored["percentile"]).to_numpy(dtype="float64"),
        threshold,
        county,
        champion.labels,
    )
    if "township_code" in matrix:
        figures += drift.township_score_drift(
            champion.reference,
            matrix["township_code"].to_numpy(dtype="object"),
            pd.to_numeric(scored["margin"]).to_numpy(dtype="float64"),
            pd.to_numeric(scored["percentile"]).to_numpy(dtype="float64"),
            threshold,
        )
    if sampled:
        for fig in figures:
            fig.detail.update(sample=sampled[1], children=sampled[2])
    return figures


def run_monitor(
    warehouse: Path,
    session: Session,
    as_of: dt.date,
    *,
    horizon_days: int,
    visits_per_township: int,
    thresholds: Thresholds,
    champion: ChampionView | None,
    county: str | None = None,
    builder: MatrixBuilder = default_matrix,
    drift_sample: int | None = None,
) -> MonitorResult:
    prefix = county[:6] if county else ""
    wh = open_warehouse(warehouse)
    try:
        figures: list[Figure] = []
        figures += feeds.freshness(wh, as_of, thresholds.stale_days, county)
        figures += feeds.quarantine(wh, thresholds.quarantine_rate, county)
        figures += lists.realised_quality(
            session, wh, as_of, horizon_days, visits_per_township, thresholds.min_precision, prefix
        )
        figures += lists.selection(session, wh, as_of, visits_per_township, prefix)
    finally:
        wh.close()
    figures += casework.behaviour(session, as_of, thresholds.override_share, prefix)
    notes: list[str] = []
    if champion is not None:
        figures += model_drift(warehouse, as_of, champion, thresholds.psi, county, builder, drift_sample)
    else:
        notes.append("no champion: drift not measured")
    summary: dict[str, Any] = {
        "county": county,
        "thresholds": thresholds.__dict__,
        "horizon_days": horizon_days,
        "visits_per_township": visits_per_township,
        "drift_sample": drift_sample,
        "notes": notes,
    }
    if champion is not None:
        summary["champion"] = {
            "name": champion.name,
            "version": champion.version,
            "gates": champion.gates,
            "gates_passed": champion.gates_passed,
            "gates_status": champion.gates_status,
            "registered_at": champion.registered_at.isoformat() if champion.registered_at else None,
        }
    return MonitorResult(as_of, figures, summary)
