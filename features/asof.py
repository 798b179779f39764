"""Point-in-time views: what the warehouse knew at each as-of date. Every builder reads the warehouse only
through these functions, which is where `recorded_at < as_of` is enforced — once.

Many as-of dates are handled in one query: the events are joined with the as-of dates table on
`recorded_at < as_of` (and the window), never looped over in Python."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from data_contracts.feeds import FEEDS
from features.backend import Backend

NARROW_LBC = ("both_away", "one_away_other_incapable")  # 民政口径 留守儿童
COHORT_MAX_AGE = 16


def days_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.IntegerValue:
    """Calendar days from `earlier` to `later`."""
    return later.date().delta(earlier.date(), unit="day")


def whole_years(as_of: ir.TimestampValue, birth: ir.TimestampValue) -> ir.IntegerValue:
    """Completed years of age (the 16th birthday counts from the day itself)."""
    before_birthday = (as_of.month() < birth.month()) | (
        (as_of.month() == birth.month()) & (as_of.day() < birth.day())
    )
    return as_of.year() - birth.year() - before_birthday.cast("int64")


def event_time(source: str) -> str:
    col = FEEDS[source].event_time
    if col is None:
        raise ValueError(f"{source} has no event time")
    return col


def visible_events(t: ir.Table, dates: ir.Table, time_col: str, window_days: int | None) -> ir.Table:
    """(event, as_of) pairs for events recorded before as_of whose event time lies in
    [as_of - window_days, as_of); no window means all history. Adds `_t` (the event time)."""
    ev = within_bounds(t if time_col == "_t" else t.mutate(_t=t[time_col]), dates, window_days)
    preds = [ev.recorded_at < dates.as_of, ev._t < dates.as_of]
    if window_days is not None:
        preds.append(ev._t >= dates.as_of - ibis.interval(days=window_days))
    return ev.join(dates, preds)


def within_bounds(ev: ir.Table, dates: ir.Table, window_days: int | None) -> ir.Table:
    """`ev` (with `_t`) narrowed to the span any as-of date can see: recorded and dated before the latest
    as_of, dated after the earliest as_of minus the window. Implied by the join predicates of
    `visible_events`, so it changes no result; it only lets the engine drop most of a long history while
    scanning, before the (inequality) join with the dates and before any window function."""
    span = dates.aggregate(_last=dates.as_of.max(), _first=dates.as_of.min())  # one row
    preds = [ev.recorded_at < span._last, ev._t < span._last]
    if window_days is not None:
        preds.append(ev._t >= span._first - ibis.interval(days=window_days))
    return ev.join(span, preds).select(*ev.columns)


def registry_snapshot(wh: Backend, dates: ir.Table) -> ir.Table:
    """Each child's latest registry snapshot recorded before as_of, with the derived columns indicators,
    rules and audit groups use."""
    reg = wh.table("children_registry")
    # pick the latest snapshot on narrow rows (key, dates) first, then fetch its columns: the window over
    # every snapshot x as_of pair is what costs
    day = reg.snapshot_date.date().delta(ibis.date(1970, 1, 1), unit="day").cast("int64")
    keyed = reg.select(
        "child_key",
        "snapshot_date",
        "recorded_at",
        _k=day * 10_000_000_000 + reg.recorded_at.epoch_seconds().cast("int64"),
    )
    j = keyed.join(dates, [keyed.recorded_at < dates.as_of, keyed.snapshot_date <= dates.as_of])
    best = j.group_by(["child_key", "as_of"]).aggregate(_best=j._k.max())
    keyed = keyed.rename(_child="child_key")
    pick = best.join(keyed, [best.child_key == keyed._child, best._best == keyed._k]).select(
        "child_key", "as_of", _snap=keyed.snapshot_date, _rec=keyed.recorded_at
    )
    s = pick.join(
        reg,
        [pick.child_key == reg.child_key, pick._snap == reg.snapshot_date, pick._rec == reg.recorded_at],
    ).select(*reg.columns, "as_of")
    age = whole_years(s.as_of, s.birth_date)
    school, village = s.entrustment_notified_school, s.entrustment_notified_village
    made = school.cast("float64").fill_null(0) + village.cast("float64").fill_null(0)
    known = school.notnull().cast("float64") + village.notnull().cast("float64")
    notified = made / known.nullif(0)
    has_disability = (
        s.disability_category.notnull() | s.disability_grade.notnull() | (s.health_status == "disabled")
    )
    return s.mutate(
        age=age,
        age_group=ibis.cases((age < 6, "0-5"), (age < 12, "6-11"), else_="12-15"),
        village_code=s.residence_village_code,
        # 统计用区划代码: the township is the first 9 digits, padded
        township_code=s.residence_village_code.left(9) + "000",
        minority=s.ethnicity_code != "01",
        has_disability=has_disability,
        both_parents_away=(s.father_away & s.mother_away).cast("float64"),
        entrustment_notified=notified,
        disability_severity=ibis.cases(
            (s.disability_grade.notnull(), (5 - s.disability_grade).cast("float64")),
            (has_disability, ibis.null("float64")),
            else_=0.0,
        ),
        kunjing_nonempty=s.kunjing_types.fill_null("").strip().length() > 0,
    )


def cohort(snapshot: ir.Table) -> ir.Table:
    """Children under 16, active, narrow left-behind or in any 困境 category, per their latest snapshot."""
    return snapshot.filter(
        (snapshot.status == "active")
        & (snapshot.age < COHORT_MAX_AGE)
        & (snapshot.lbc_type.isin(NARROW_LBC) | snapshot.kunjing_nonempty)
    )


def latest(t: ir.Table, by: Sequence[str], order: Sequence[str]) -> ir.Table:
    """The row of each `by` group greatest in `order` (its columns compared in turn, none null; the `by`
    keys are never null, as ingest requires): the row a `row_number()` window partitioned by `by` and
    ordered by `order` descending keeps, without windowing every row (DuckDB sorts each windowed row, all
    its columns: for the household at 1M children 39 CPU-s against 23 here, 11 of them the scan). Per order
    column, a grouped max and a semi-join keep the rows that hold it. Rows still tied then (ingest's keys
    forbid it; a warehouse filled otherwise may not) are told apart by the remaining columns in table
    order, the greatest kept and a null below any value, so the chosen row is well defined where the window
    kept an arbitrary one; only those rows are windowed."""
    for col in order:
        top = t.group_by(list(by)).aggregate(_top=t[col].max())
        t = t.semi_join(top, [*[t[c] == top[c] for c in by], t[col] == top._top])
    ties = t.group_by(list(by)).aggregate(_n=ibis._.count()).filter(ibis._._n > 1)
    tied = t.semi_join(ties, [t[c] == ties[c] for c in by])
    rest = [c for c in t.columns if c not in by and c not in order]
    w = ibis.window(
        group_by=[tied[c] for c in by], order_by=[ibis.desc(tied[c], nulls_first=False) for c in rest]
    )
    tied = tied.mutate(_rn=ibis.row_number().over(w)).filter(lambda x: x._rn == 0).drop("_rn")
    return t.anti_join(ties, [t[c] == ties[c] for c in by]).union(tied, distinct=False)


def household_at(wh: Backend, dates: ir.Table) -> ir.Table:
    """Latest visible version of each (person, child) relation already in force at as_of: the latest
    valid_from, then the latest recorded_at (see `latest` for full ties)."""
    hm = wh.table("household_members")
    j = hm.join(dates, [hm.recorded_at < dates.as_of, hm.valid_from <= dates.as_of])
    return latest(j, ["person_key", "child_key", "as_of"], ["valid_from", "recorded_at"])


def primary_caregiver(household: ir.Table) -> ir.Table:
    """One living primary caregiver per (child, as_of): the one living with the child first, then by key
    (the smallest). `household` holds one row per (person, child, as_of), so the choice is unique."""
    p = household.filter(household.is_primary_caregiver & household.alive)
    # the smallest (not living with the child, person_key): a narrow grouped min and a join back
    first = p.group_by(["child_key", "as_of"]).aggregate(
        _first=ibis.struct({"away": ~p.lives_with_child.fill_null(False), "person": p.person_key}).min()
    )
    first = first.select(_child=first.child_key, _as_of=first.as_of, _person=first._first["person"])
    return p.join(
        first, [p.child_key == first._child, p.as_of == first._as_of, p.person_key == first._person]
    ).select(*p.columns)


def episodes_at(wh: Backend, dates: ir.Table) -> ir.Table:
    """Latest visible version of each migration episode that had begun by as_of (the latest recorded_at;
    see `latest` for full ties)."""
    ep = wh.table("parent_migration_episodes")
    j = ep.join(dates, [ep.recorded_at < dates.as_of, ep.depart_date < dates.as_of])
    return latest(j, ["episode_id", "child_key", "as_of"], ["recorded_at"])


def lost_contact(episodes: ir.Table, min_days: int) -> ir.BooleanValue:
    """An episode whose parent has been out of contact for at least `min_days` at as_of and not come back."""
    since = episodes.lost_contact_since
    returned = episodes.return_date.notnull() & (episodes.return_date < episodes.as_of)
    return (
        since.notnull()
        & (since < episodes.as_of)
        & (days_between(episodes.as_of, since) >= min_days)
        & ~returned
    )
