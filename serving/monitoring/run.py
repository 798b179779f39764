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

from features.backend import open_warehouse
from serving.monitoring import casework, drift, feeds, lists
from serving.monitoring.figures import Figure

# (warehouse path, as-of date, spec) -> feature matrix; default features.pipeline.build_matrix
MatrixBuilder = Callable[[Path, dt.date, Any], pd.DataFrame]


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


def default_matrix(path: Path, as_of: dt.date, spec: Any) -> pd.DataFrame:
    from features.pipeline import build_matrix

    return build_matrix(path, [pd.Timestamp(as_of)], spec=spec)


def model_drift(
    warehouse: Path,
    as_of: dt.date,
    champion: ChampionView,
    threshold: float,
    county: str | None,
    builder: MatrixBuilder = default_matrix,
) -> list[Figure]:
    matrix = builder(warehouse, as_of, champion.spec)
    if matrix.empty:
        return []
    scored = champion.predict(matrix)
    inputs = {n: matrix[n].to_numpy(dtype="float64", na_value=np.nan) for n in champion.inputs if n in matrix}
    return drift.drift_figures(
        champion.reference,
        inputs,
        pd.to_numeric(scored["margin"]).to_numpy(dtype="float64"),
        pd.to_numeric(scored["percentile"]).to_numpy(dtype="float64"),
        threshold,
        county,
        champion.labels,
    )


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
        figures += model_drift(warehouse, as_of, champion, thresholds.psi, county, builder)
    else:
        notes.append("no champion: drift not measured")
    summary: dict[str, Any] = {
        "county": county,
        "thresholds": thresholds.__dict__,
        "horizon_days": horizon_days,
        "visits_per_township": visits_per_township,
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
