"""The tier rule caseworkers use today (DOMAIN §1.5, §1.8; the simulator's `simulation.policy.tiers`), read
from the warehouse records at each as-of date — a baseline to compare the model with, never a model input.

- red: a detected incident whose event lies in the 60 days before as_of;
- orange: 监护情况评估 差, guardianship by the child alone or nobody (自我或兄弟姐妹照料 /
  无人监护), or the last visit raised a concern (signs of neglect or injury, a hygiene problem, a mood
  other than 正常);
- yellow: 监护情况评估 一般, a 困境 child, or a parent who cannot care (registered as
  一方外出、另一方无监护能力, or a living parent recorded 无监护能力 in the household table);
- green: the rest.
The assessment is the worker's latest: the last visit's 监护情况评估 when a visit rated it, else the
registry's.
Within a tier the child whose last visit is longest ago comes first (never visited: first of all).

Every table is read through `features.asof`, so only rows recorded before as_of count."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # training imports the column names below; Ibis is loaded only to compute the tiers
    import ibis.expr.types as ir

    from features.backend import Backend

TIERS = ("red", "orange", "yellow", "green")  # tier codes 0..3
RED_DAYS = 60
ORANGE_GUARDIANSHIP = ("self_or_siblings", "unsupervised")
YELLOW_GUARDIANSHIP = ("one_parent_home_incapable",)
PARENTS = ("father", "mother")
KEY = ["child_key", "as_of"]
# The columns `tier_table` returns beside the key (and `training` attaches to the matrix for the baseline).
TIER_COLUMN, DAYS_COLUMN = "tier_rule_tier", "tier_rule_days_since_visit"
_DATES = "_tier_rule_dates"


def _recent_incidents(wh: Backend, dates: ir.Table) -> ir.Table:
    from features import asof

    ev = asof.visible_events(wh.table("incidents"), dates, asof.event_time("incidents"), RED_DAYS)
    return ev.group_by(KEY).aggregate(_red=ev.count())


def _last_visit(wh: Backend, dates: ir.Table) -> ir.Table:
    """Per child and as_of: the last visit's date and whether it raised a concern, and the latest rating."""
    import ibis

    from features import asof

    ev = asof.visible_events(wh.table("visit_logs"), dates, asof.event_time("visit_logs"), None)
    concern = (
        ev.signs_of_neglect.fill_null(False)
        | ev.hygiene_issue.fill_null(False)
        | ev.signs_of_injury.fill_null(False)
        | (ev.child_mood.notnull() & (ev.child_mood != "normal"))
    )
    # one sortable key per visit: the visit date, then the time it was typed in (a same-day correction wins)
    day = ev._t.date().delta(ibis.date(1970, 1, 1), unit="day").cast("int64")
    order = day * 10_000_000_000 + ev.recorded_at.epoch_seconds().cast("int64")
    ev = ev.mutate(_concern=concern, _order=order)
    last = ev.group_by(KEY).aggregate(_last_visit=ev._t.max(), _last_concern=ev._concern.argmax(ev._order))
    rated = ev.filter(ev.carer_capacity_rating.notnull())
    rating = rated.group_by(KEY).aggregate(_last_rating=rated.carer_capacity_rating.argmax(rated._order))
    return last.left_join(rating, KEY).select(*last.columns, "_last_rating")


def _incapable_parent(wh: Backend, dates: ir.Table) -> ir.Table:
    from features import asof

    hh = asof.household_at(wh, dates)
    hh = hh.filter(hh.relation.isin(PARENTS) & hh.alive & (hh.guardian_capacity == "incapable"))
    return hh.group_by(KEY).aggregate(_incapable=hh.count())


def tier_expr(wh: Backend, dates: ir.Table) -> ir.Table:
    """child_key, as_of, tier (0 red … 3 green) and days since the last visit (null: never visited), for the
    cohort at each as-of date."""
    import ibis

    from features import asof

    snap = asof.cohort(asof.registry_snapshot(wh, dates)).select(
        *KEY, "guardianship_type", "guardianship_assessment", "kunjing_nonempty"
    )
    out = snap
    for part in (_recent_incidents(wh, dates), _last_visit(wh, dates), _incapable_parent(wh, dates)):
        extra = [c for c in part.columns if c not in KEY]
        out = out.left_join(part, KEY).select(*out.columns, *extra)
    assessment = out._last_rating.fill_null(out.guardianship_assessment)
    red = out._red.fill_null(0) > 0
    orange = (
        (assessment == "poor")
        | out.guardianship_type.isin(ORANGE_GUARDIANSHIP)
        | out._last_concern.fill_null(False)
    )
    yellow = (
        (assessment == "fair")
        | out.kunjing_nonempty.fill_null(False)
        | out.guardianship_type.isin(YELLOW_GUARDIANSHIP)
        | (out._incapable.fill_null(0) > 0)
    )
    tier = ibis.cases((red, 0), (orange.fill_null(False), 1), (yellow.fill_null(False), 2), else_=3)
    return out.select(
        *KEY,
        **{
            TIER_COLUMN: tier.cast("int64"),
            DAYS_COLUMN: asof.days_between(out.as_of, out._last_visit).cast("float64"),
        },
    )


def tier_table(warehouse: Path | str | Backend, as_of_dates: Sequence) -> pd.DataFrame:
    """The tier and days since the last visit of every cohort child at each as-of date (see the module)."""
    from features.backend import as_of_frame, opened

    wh, own = opened(warehouse)
    try:
        dates = wh.load_frame(_DATES, as_of_frame(as_of_dates))
        df = wh.execute(tier_expr(wh, dates))
    finally:
        if own:
            wh.close()
    df["as_of"] = pd.to_datetime(df["as_of"]).astype("datetime64[us]")
    df["child_key"] = df["child_key"].astype("str")
    df[TIER_COLUMN] = df[TIER_COLUMN].astype("int64")
    df[DAYS_COLUMN] = df[DAYS_COLUMN].astype("float64")
    return df.sort_values(KEY).reset_index(drop=True)
