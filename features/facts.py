"""The facts shown beside a score — the child's registry snapshot (age, guardianship, schooling …), the
primary caregiver, days since the last visit, and how recent each feed's records are — computed with the same
point-in-time views as the model's features (`features.asof`): a snapshot recorded before the as-of date and
not dated after it, the household version in force at it, a living primary caregiver. So a page never shows a
caregiver, a snapshot or a visit the model could not see at that date.

`display_facts` returns one row per child with a visible registry snapshot at each as-of date (every such
child, not only the cohort: a caseworker may open any child of their area), plus per feed the latest record
of the whole warehouse before each as-of date. Like the matrix, the compiled SQL is kept per warehouse
layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from features import asof
from features.backend import Backend, as_of_frame, opened

KEY = ("child_key", "as_of")
DATES = "_facts_dates"
# feeds whose rows belong to one child: their latest record per child is that child's data freshness
CHILD_FEEDS = (
    "children_registry",
    "household_members",
    "parent_contact_log",
    "visit_logs",
    "school_attendance",
    "school_events",
    "incidents",
    "assistance_benefits",
    "cases",
)
PROFILE_COLUMNS = (
    "residence_village_code",
    "status",
    "sex",
    "lbc_type",
    "kunjing_types",
    "health_status",
    "schooling_status",
    "grade_level",
    "boarding",
    "guardianship_type",
    "guardianship_assessment",
    "parents_marital_status",
    "father_away",
    "mother_away",
    "snapshot_date",
)
CAREGIVER_COLUMNS = (
    "person_key",
    "relation",
    "birth_year",
    "alive",
    "lives_with_child",
    "health_status",
    "guardian_capacity",
    "incapacity_reason",
    "contactable",
    "valid_from",
)


@dataclass(frozen=True)
class Facts:
    """`children`: one row per (child_key, as_of) — the PROFILE_COLUMNS, `age_years`, `caregiver_<column>`
    for CAREGIVER_COLUMNS (null without a living primary caregiver), `days_since_last_visit` and
    `fresh_<feed>` (latest `recorded_at` of the child's records) for CHILD_FEEDS. `feeds`: one row per as_of,
    `fresh_<feed>` for the whole warehouse."""

    children: pd.DataFrame
    feeds: pd.DataFrame


@dataclass(frozen=True)
class _Plan:
    statements: tuple[str, ...]
    children: str
    feeds: str


_PLANS: dict[tuple, _Plan] = {}


def _left(out: ir.Table, part: ir.Table, columns: Sequence[str]) -> ir.Table:
    return out.left_join(part, list(KEY)).select(*out.columns, *columns)


def _latest_recorded(wh: Backend, dates: ir.Table, feed: str, by_child: bool) -> ir.Table:
    t = wh.table(feed)
    j = t.join(dates, t.recorded_at < dates.as_of)
    keys = list(KEY) if by_child else ["as_of"]
    return j.group_by(keys).aggregate(**{f"fresh_{feed}": j.recorded_at.max()})


def children_expr(wh: Backend, dates: ir.Table) -> ir.Table:
    snapshot = wh.materialize(asof.registry_snapshot(wh, dates), "facts_snapshot")
    out = snapshot.select(*KEY, *PROFILE_COLUMNS, age_years=snapshot.age)

    household = wh.materialize(asof.household_at(wh, dates), "facts_household")
    caregiver = asof.primary_caregiver(household)
    caregiver = caregiver.select(*KEY, **{f"caregiver_{c}": caregiver[c] for c in CAREGIVER_COLUMNS})
    out = _left(out, caregiver, [f"caregiver_{c}" for c in CAREGIVER_COLUMNS])

    visits = asof.visible_events(wh.table("visit_logs"), dates, asof.event_time("visit_logs"), None)
    last = visits.group_by(list(KEY)).aggregate(_last_visit=visits._t.max())
    last = last.select(*KEY, days_since_last_visit=asof.days_between(last.as_of, last._last_visit))
    out = _left(out, last, ["days_since_last_visit"])

    for feed in CHILD_FEEDS:
        out = _left(out, _latest_recorded(wh, dates, feed, by_child=True), [f"fresh_{feed}"])
    return out.order_by(list(KEY))


def feeds_expr(wh: Backend, dates: ir.Table) -> ir.Table:
    out = dates.select("as_of")
    for feed in CHILD_FEEDS:
        part = _latest_recorded(wh, dates, feed, by_child=False)
        out = out.left_join(part, "as_of").select(*out.columns, f"fresh_{feed}")
    return out.order_by("as_of")


def display_facts(
    warehouse: Path | str | Backend, as_of_dates: Sequence[date | datetime | str | pd.Timestamp]
) -> Facts:
    """The facts of every child with a visible registry snapshot at each as-of date (see `Facts`)."""
    wh, own = opened(warehouse)
    try:
        dates = wh.load_frame(DATES, as_of_frame(as_of_dates))
        # a compiled plan names columns (lineage ones too): reused only on a warehouse laid out the same way
        key = (wh.key, wh.layout())
        plan = _PLANS.get(key)
        if plan is None:
            wh.recorded.clear()
            children = wh.compile(children_expr(wh, dates))
            feeds = wh.compile(feeds_expr(wh, dates))
            plan = _PLANS[key] = _Plan(tuple(wh.recorded), children, feeds)
            children_df = wh.query(plan.children)
        else:
            children_df = wh.replay(plan.statements, plan.children)
        feeds_df = wh.query(plan.feeds)
    finally:
        if own:
            wh.close()
    children_df["as_of"] = pd.to_datetime(children_df["as_of"])
    feeds_df["as_of"] = pd.to_datetime(feeds_df["as_of"])
    return Facts(children_df, feeds_df)
