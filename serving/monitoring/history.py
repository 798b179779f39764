"""Monitoring history in the service database (`monitor_runs`, `monitor_values`, migration 0005): write a
run, read the latest run and a metric over time. Works the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.monitoring.figures import Figure
from serving.tables import MonitorRun, MonitorValue

if TYPE_CHECKING:  # the pages and /metrics read history without loading the warehouse side
    from serving.monitoring.run import MonitorResult


def _finite(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else float(value)


def save(session: Session, result: MonitorResult) -> MonitorRun:
    champion = result.summary.get("champion") or {}
    run = MonitorRun(
        as_of=result.as_of,
        ran_at=dt.datetime.now(dt.UTC),
        model_name=champion.get("name"),
        model_version=champion.get("version"),
        alerts=len(result.alerts),
        summary=result.summary,
    )
    session.add(run)
    session.flush()
    session.add_all(
        MonitorValue(
            run_id=run.id,
            metric=f.metric,
            subject=f.subject[:128],
            area_code=f.area_code,
            value=_finite(f.value),
            alert=bool(f.alert),
            detail=f.detail or None,
        )
        for f in result.figures
    )
    session.commit()
    return run


@dataclass(frozen=True)
class StoredRun:
    run: MonitorRun
    figures: list[Figure]

    def of(self, metric: str) -> list[Figure]:
        return [f for f in self.figures if f.metric == metric]


def _figures(session: Session, run_id: int) -> list[Figure]:
    rows = session.scalars(
        select(MonitorValue).where(MonitorValue.run_id == run_id).order_by(MonitorValue.id)
    )
    return [Figure(r.metric, r.subject, r.value, r.area_code, r.alert, dict(r.detail or {})) for r in rows]


def latest(session: Session) -> StoredRun | None:
    """The latest run (latest as-of date, then the latest run of that date)."""
    run = session.scalar(select(MonitorRun).order_by(MonitorRun.as_of.desc(), MonitorRun.id.desc()).limit(1))
    return None if run is None else StoredRun(run, _figures(session, run.id))


def runs(session: Session, limit: int = 24) -> list[MonitorRun]:
    """The latest run of each as-of date, oldest first (at most `limit` dates)."""
    all_runs = list(
        session.scalars(select(MonitorRun).order_by(MonitorRun.as_of.desc(), MonitorRun.id.desc()))
    )
    by_date: dict[dt.date, MonitorRun] = {}
    for r in all_runs:
        by_date.setdefault(r.as_of, r)
    return sorted(by_date.values(), key=lambda r: r.as_of)[-limit:]


def series(
    session: Session, metric: str, subject: str | None = None, limit: int = 24
) -> list[tuple[dt.date, float]]:
    """(as-of date, value) of a metric over the latest run of each date (subject: one subject, else the
    mean over subjects)."""
    out = []
    for run in runs(session, limit):
        stmt = select(MonitorValue.value).where(MonitorValue.run_id == run.id, MonitorValue.metric == metric)
        if subject is not None:
            stmt = stmt.where(MonitorValue.subject == subject)
        values = [v for v in session.scalars(stmt) if v is not None]
        if values:
            out.append((run.as_of, sum(values) / len(values)))
    return out
