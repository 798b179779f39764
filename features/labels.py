"""Labels look forward: a detected adverse outcome (an incident in the warehouse) with event time in
(as_of, as_of + horizon]. On simulated data, also the true outcome and hidden risk from `truth/` — read only
here, only for evaluation, and never joined into indicators or flags.

Excluded as trivial, from the detected and the true label alike: injuries (incident_type `injury`) of
severity `minor` — a scraped knee seen by a teacher is not what the visit list is for. Everything else
counts, including reports still being verified: the verification often lands after the label window, and a
report itself is what a caseworker must answer. (The simulator's hidden `true_risk` still includes minor
injuries: it is the engine's own probability of any outcome.)"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from data_contracts.enums import INCIDENT_TYPE
from data_contracts.pseudonym import child_key
from features.backend import Backend
from features.indicators import KEY

LABEL_TYPES: tuple[str, ...] = tuple(INCIDENT_TYPE)
TRIVIAL = ("injury", "minor")  # (incident_type, severity) left out of every label


def label_columns() -> list[str]:
    return ["label", *[f"label_{t}" for t in LABEL_TYPES]]


def counted(incidents: ir.Table) -> ir.BooleanValue:
    trivial = (incidents.incident_type == TRIVIAL[0]) & (incidents.severity.fill_null("") == TRIVIAL[1])
    return ~trivial


def label_table(wh: Backend, dates: ir.Table, horizon_days: int) -> ir.Table:
    """(child_key, as_of, label, label_<type>...) for children with an outcome in the window; others are 0."""
    inc = wh.table("incidents")
    inc = inc.filter(counted(inc))
    j = inc.join(
        dates,
        [inc.event_time > dates.as_of, inc.event_time <= dates.as_of + ibis.interval(days=horizon_days)],
    )
    by_type = {f"label_{t}": (j.incident_type == t).cast("int64").max() for t in LABEL_TYPES}
    return j.group_by(list(KEY)).aggregate(label=(j.child_key.count() > 0).cast("int64"), **by_type)


def truth_frames(truth_dir: Path, secret: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulator's hidden truth keyed by child_key (pseudonymized here, at the edge)."""
    import pyarrow.parquet as pq

    path = truth_dir / "outcomes.parquet"
    kinds = [c for c in ("outcome_type", "severity") if c in pq.read_schema(path).names]
    outcomes = pd.read_parquet(path, columns=["child_id", "event_time", *kinds])
    if len(kinds) == 2:  # the true label counts the outcome types the detected label counts
        trivial = (outcomes["outcome_type"] == TRIVIAL[0]) & (outcomes["severity"].fillna("") == TRIVIAL[1])
        outcomes = outcomes[~trivial.to_numpy()]
    outcomes = outcomes[["child_id", "event_time"]].copy()
    risk = pd.read_parquet(truth_dir / "child_risk.parquet", columns=["child_id", "date", "true_risk_90d"])
    for frame in (outcomes, risk):
        keys = {cid: child_key(str(cid), secret) for cid in frame["child_id"].unique()}
        frame["child_key"] = frame["child_id"].map(keys)
    outcomes = outcomes.drop(columns="child_id").assign(event_time=lambda f: pd.to_datetime(f["event_time"]))
    risk = risk.drop(columns="child_id").assign(date=lambda f: pd.to_datetime(f["date"]))
    return outcomes, risk


def truth_label_table(outcomes: ir.Table, dates: ir.Table, horizon_days: int) -> ir.Table:
    j = outcomes.join(
        dates,
        [
            outcomes.event_time > dates.as_of,
            outcomes.event_time <= dates.as_of + ibis.interval(days=horizon_days),
        ],
    )
    return j.group_by(list(KEY)).aggregate(true_label=(j.child_key.count() > 0).cast("float64"))


def truth_risk_table(risk: ir.Table, dates: ir.Table) -> ir.Table:
    """The hidden 90-day risk at the start of the month containing as_of."""
    j = risk.join(dates, risk.date == dates.as_of.truncate("M"))
    return j.group_by(list(KEY)).aggregate(true_risk=j.true_risk_90d.cast("float64").max())
