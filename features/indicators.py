"""Compile the indicator spec to Ibis expressions. Each builder returns a table keyed `(child_key, as_of)` (or
`as_of` alone for season indicators) holding some indicator columns, plus the value a child without any row
gets (0 for counts, NaN for "unknown"). No pandas and no UDFs here: only Ibis, so the same definitions run on
any backend. One join per source and window class, never a Python loop over dates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce

import ibis
import ibis.expr.types as ir

from features import asof
from features.backend import Warehouse
from features.spec import Condition, FeatureSpec, Indicator

DAYS_PER_MONTH = 30.4375
KEY = ("child_key", "as_of")

# aggregates computed from one join of an event feed with the as-of dates
EVENT_AGGREGATES = {"count", "share", "any", "days_since_last", "latest", "days_past_latest", "share_change"}
SNAPSHOT_AGGREGATES = {"snapshot", "snapshot_has", "age_years"}
CAREGIVER_AGGREGATES = {"caregiver", "caregiver_age", "children_per_caregiver"}
SEASON_AGGREGATES = {"days_to_holiday", "calendar_share_ahead", "month_share_ahead"}


@dataclass
class Part:
    """Some indicator columns keyed by `on`; `fill` is the value for a cohort row without a match."""

    table: ir.Table
    columns: list[str]
    on: tuple[str, ...] = KEY
    fill: dict[str, float] = field(default_factory=dict)


@dataclass
class Views:
    """The point-in-time views shared by indicators and rules (built once per query)."""

    wh: Warehouse
    dates: ir.Table
    snapshot: ir.Table
    household: ir.Table
    caregiver: ir.Table
    episodes: ir.Table


def build_views(wh: Warehouse, dates: ir.Table) -> Views:
    household = wh.materialize(asof.household_at(wh, dates), "household")
    return Views(
        wh=wh,
        dates=dates,
        snapshot=wh.materialize(asof.registry_snapshot(wh, dates), "snapshot"),
        household=household,
        caregiver=wh.materialize(asof.primary_caregiver(household), "caregiver"),
        episodes=wh.materialize(asof.episodes_at(wh, dates), "episodes"),
    )


# ---- conditions --------------------------------------------------------------------------------------------


def set_has(col: ir.StringValue, code: str) -> ir.BooleanValue:
    """Whether a ';'-joined code set holds `code`."""
    return (";" + col.fill_null("") + ";").contains(f";{code};")


def condition(t: ir.Table, c: Condition) -> ir.BooleanValue:
    col = t[c.column]
    if c.op == "is_true":
        return col.cast("boolean").fill_null(False)
    if c.op == "is_false":
        return ~col.cast("boolean").fill_null(True)
    if c.op == "in":
        return col.isin(c.values).fill_null(False)
    if c.op == "not_in":
        return col.notnull() & col.notin(c.values)
    if c.op == "has_any":
        return reduce(lambda a, b: a | b, [set_has(col, v) for v in c.values])
    return col.notnull()  # not_null


def any_of(t: ir.Table, conditions: Sequence[Condition]) -> ir.BooleanValue:
    if not conditions:
        return ibis.literal(True)
    return reduce(lambda a, b: a | b, [condition(t, c) for c in conditions])


def encoded(col: ir.Value, ind: Indicator) -> ir.FloatingValue:
    """The indicator's numeric value of a column: membership of `values`, an `encode` map, or the number."""
    if ind.values:
        return ibis.ifelse(col.isnull(), ibis.null("float64"), col.isin(ind.values).cast("float64"))
    if ind.encode:
        return ibis.cases(*[(col == k, ibis.literal(v, "float64")) for k, v in ind.encode.items()],
                          else_=ibis.null("float64"))
    return col.cast("float64")


# ---- event feeds -------------------------------------------------------------------------------------------


def _max_window(inds: Iterable[Indicator]) -> int | None:
    spans = [(i.window_days * (2 if i.aggregate == "share_change" else 1)) if i.window_days else None for i in inds]
    return None if any(s is None for s in spans) else max(spans)  # type: ignore[type-var]


def _in_window(j: ir.Table, days: int | None, skip: int = 0) -> ir.BooleanValue:
    """`_t` in [as_of - skip - days, as_of - skip)."""
    if days is None:
        return ibis.literal(True)
    upper = j.as_of - ibis.interval(days=skip) if skip else j.as_of
    return (j._t >= upper - ibis.interval(days=days)) & (j._t < upper)


def _share(num: ir.BooleanValue, den: ir.BooleanValue) -> ir.FloatingValue:
    return (num & den).cast("float64").sum() / den.cast("float64").sum().nullif(0)


def _latest_key(j: ir.Table, value: ir.Value) -> ir.StringValue:
    """Sort key for "the latest record": event time, then recorded_at, then the value (deterministic ties)."""
    fmt = "%Y%m%d%H%M%S"
    return j._t.strftime(fmt) + j.recorded_at.strftime(fmt) + value.cast("string").fill_null("")


def event_metric(j: ir.Table, ind: Indicator) -> tuple[ir.Value, float | None]:
    """The aggregate expression of one event indicator over the joined (event, as_of) table, and its fill."""
    win = _in_window(j, ind.window_days)
    match = any_of(j, ind.where_any)
    den = any_of(j, ind.denominator)
    agg = ind.aggregate
    if agg == "count":
        n = (match & den & win).cast("float64").sum()
        if ind.per_days and ind.window_days:
            n = n * (ind.per_days / ind.window_days)
        if ind.denominator:  # no eligible records at all: unknown, not zero
            return ibis.ifelse((den & win).cast("int64").sum() > 0, n, ibis.null("float64")), None
        return n, 0.0
    if agg == "share":
        return _share(match & win, den & win), None
    if agg == "share_change":
        prev = _in_window(j, ind.window_days, skip=ind.window_days)
        return _share(match & win, den & win) - _share(match & prev, den & prev), None
    if agg == "any":
        return (match & den & win).cast("float64").max(where=den & win), None
    if agg == "days_since_last":
        return asof.days_between(j.as_of.max(), j._t.max(where=match & win)).cast("float64"), None  # as_of: a group key
    col = j[ind.column]
    ok = match & win & col.notnull()
    if agg == "latest":
        value = encoded(col, ind)
        return value.argmax(_latest_key(j, value), where=ok & value.notnull()), None
    if agg == "days_past_latest":
        due = col.argmax(_latest_key(j, col), where=ok)
        return ibis.greatest(asof.days_between(j.as_of.max(), due), 0).cast("float64"), None
    raise ValueError(f"{ind.name}: {agg} is not an event aggregate")


def event_part(v: Views, source: str, inds: list[Indicator]) -> Part:
    t = v.wh.table(source)
    j = asof.visible_events(t, v.dates, asof.event_time(source), _max_window(inds))
    metrics = {i.name: event_metric(j, i) for i in inds}
    table = j.group_by(list(KEY)).aggregate(**{n: m for n, (m, _) in metrics.items()})
    return Part(table, list(metrics), fill={n: f for n, (_, f) in metrics.items() if f is not None})


def longest_run_part(v: Views, ind: Indicator) -> Part:
    """Longest run of consecutive matching records among the eligible ones (e.g. school days), per as_of.
    Gaps-and-islands: a run id is the number of non-matching records seen so far."""
    t = v.wh.table(ind.source)
    j = asof.visible_events(t, v.dates, asof.event_time(ind.source), ind.window_days)
    j = j.filter(any_of(j, ind.denominator)).mutate(_m=any_of(j, ind.where_any).cast("int64"))
    w = ibis.cumulative_window(group_by=[j.child_key, j.as_of], order_by=[j._t, j.recorded_at])
    j = j.mutate(_run=(1 - j._m).sum().over(w))
    runs = j.group_by([*KEY, "_run"]).aggregate(_n=j._m.sum())
    table = runs.group_by(list(KEY)).aggregate(**{ind.name: runs._n.max().cast("float64")})
    return Part(table, [ind.name])


def post_holiday_part(v: Views, ind: Indicator) -> Part:
    """Share among records dated in the first `days_after_term_start` days of a term (terms from the school
    calendar, published in advance, so it carries no recorded_at)."""
    cal = v.wh.table("calendar")
    starts = cal.filter(cal.is_school_day.fill_null(False) & cal.term_id.notnull()).group_by("term_id").aggregate(
        _start=cal.date.min()
    )
    t = v.wh.table(ind.source)
    tcol = asof.event_time(ind.source)
    days = ind.days_after_term_start or 14
    early = t.join(
        starts, [t[tcol] >= starts._start, t[tcol] < starts._start + ibis.interval(days=days)]
    ).select(*t.columns)
    j = asof.visible_events(early, v.dates, tcol, ind.window_days)
    value = _share(any_of(j, ind.where_any), any_of(j, ind.denominator))
    return Part(j.group_by(list(KEY)).aggregate(**{ind.name: value}), [ind.name])


# ---- registry, household, parents, benefits ----------------------------------------------------------------


def snapshot_part(v: Views, inds: list[Indicator]) -> Part:
    s = v.snapshot
    cols: dict[str, ir.Value] = {}
    for i in inds:
        if i.aggregate == "age_years":
            cols[i.name] = s.age.cast("float64")
        elif i.aggregate == "snapshot_has":
            col = s[i.column]
            hit = reduce(lambda a, b: a | b, [set_has(col, c) for c in i.values])
            cols[i.name] = ibis.ifelse(col.isnull(), ibis.null("float64"), hit.cast("float64"))
        else:
            cols[i.name] = encoded(s[i.column], i)
    return Part(s.select(*KEY, **cols), list(cols))


def caregiver_part(v: Views, inds: list[Indicator]) -> Part:
    cg = v.caregiver
    hh = v.household
    primaries = hh.filter(hh.is_primary_caregiver & hh.alive)
    load = primaries.group_by(["person_key", "as_of"]).aggregate(_children=primaries.child_key.nunique())
    cg = cg.left_join(load, [cg.person_key == load.person_key, cg.as_of == load.as_of]).select(
        *cg.columns, "_children"
    )
    cols: dict[str, ir.Value] = {}
    for i in inds:
        if i.aggregate == "caregiver_age":
            cols[i.name] = (cg.as_of.year() - cg.birth_year).cast("float64")
        elif i.aggregate == "children_per_caregiver":
            cols[i.name] = cg._children.cast("float64")
        else:
            cols[i.name] = encoded(cg[i.column], i)
    return Part(cg.select(*KEY, **cols), list(cols))


def months_since_parent_home_part(v: Views, ind: Indicator) -> Part:
    """0 when a parent is not away (registry) or has come back from every episode; otherwise months since a
    parent left or last came home (episode dates, in-person contacts); NaN when nothing is known."""
    ep = v.episodes
    back = ep.return_date.notnull() & (ep.return_date < ep.as_of)
    home_date = ibis.greatest(ep.depart_date, ibis.ifelse(back, ep.return_date, ep.depart_date))
    per_parent = ep.group_by(["child_key", "person_key", "as_of"]).aggregate(
        _last=home_date.max(), _all_back=back.cast("int64").min() == 1
    )
    from_eps = per_parent.group_by(list(KEY)).aggregate(
        _last_ep=per_parent._last.max(), _parent_back=per_parent._all_back.cast("int64").max() == 1
    )
    contacts = asof.visible_events(v.wh.table("parent_contact_log"), v.dates, "contact_time", None)
    contacts = contacts.filter(contacts.channel == "parent_home_visit")
    from_contacts = contacts.group_by(list(KEY)).aggregate(_last_visit=contacts._t.max())
    s = v.snapshot.select(*KEY, "father_away", "mother_away")
    s = s.left_join(from_eps, list(KEY)).select(*s.columns, "_last_ep", "_parent_back")
    s = s.left_join(from_contacts, list(KEY)).select(*s.columns, "_last_visit")
    last = ibis.greatest(s._last_ep, s._last_visit)
    # greatest() of SQL engines differs on NULL; take whichever is known
    last = ibis.coalesce(last, s._last_ep, s._last_visit)
    parent_home = (s.father_away == False) | (s.mother_away == False) | s._parent_back.fill_null(False)  # noqa: E712
    value = ibis.cases(
        (parent_home, 0.0),
        (last.notnull(), asof.days_between(s.as_of, last).cast("float64") / DAYS_PER_MONTH),
        else_=ibis.null("float64"),
    )
    return Part(s.select(*KEY, **{ind.name: value}), [ind.name])


def lost_contact_part(v: Views, ind: Indicator) -> Part:
    ep = v.episodes
    lost = asof.lost_contact(ep, ind.window_days or 183)
    table = ep.group_by(list(KEY)).aggregate(**{ind.name: lost.cast("float64").max()})
    return Part(table, [ind.name], fill={ind.name: 0.0})


def benefit_part(v: Views, ind: Indicator) -> Part:
    """An approved/active benefit of the programs at as_of (latest visible version), or the registry's own
    record (困境 category 低保/特困, assistance flag 低保)."""
    b = v.wh.table("assistance_benefits")
    j = b.join(v.dates, b.recorded_at < v.dates.as_of)
    w = ibis.window(group_by=[j.benefit_id, j.as_of], order_by=[ibis.desc(j.recorded_at)])
    j = j.mutate(_rn=ibis.row_number().over(w)).filter(lambda x: x._rn == 0)
    active = (
        j.program.isin(ind.values)
        & j.status.isin(("approved", "active"))
        & (j.start_date <= j.as_of)
        & (j.end_date.isnull() | (j.end_date >= j.as_of))
    )
    ben = j.group_by(list(KEY)).aggregate(_b=active.cast("int64").max())
    s = v.snapshot
    registry = set_has(s.kunjing_types, "poverty_dibao") | set_has(s.kunjing_types, "tekun")
    if "dibao" in ind.values:
        registry = registry | set_has(s.assistance_flags, "dibao")
    s = s.select(*KEY, _r=registry).left_join(ben, list(KEY)).select(*KEY, "_r", "_b")
    value = (s._r | (s._b.fill_null(0) == 1)).cast("float64")
    return Part(s.select(*KEY, **{ind.name: value}), [ind.name])


# ---- season ------------------------------------------------------------------------------------------------


def season_part(v: Views, ind: Indicator) -> Part:
    d = v.dates
    if ind.aggregate == "month_share_ahead":
        days = ind.window_days or 90
        x = d.mutate(_off=ibis.range(1, days + 1).unnest())
        x = x.mutate(_day=x.as_of + x._off.as_interval("D"))
        months = [int(m) for m in ind.values]
        table = x.group_by("as_of").aggregate(**{ind.name: x._day.month().isin(months).cast("float64").mean()})
        return Part(table, [ind.name], on=("as_of",))
    cal = v.wh.table("calendar")
    if ind.aggregate == "days_to_holiday":
        hol = cal.filter(cal.holiday_type.isin(ind.values))
        j = d.join(hol, hol.date >= d.as_of)
        table = j.group_by("as_of").aggregate(
            **{ind.name: asof.days_between(j.date.min(), j.as_of.max()).cast("float64")}
        )
        return Part(table, [ind.name], on=("as_of",))
    # calendar_share_ahead
    days = ind.window_days or 30
    j = d.join(cal, [cal.date > d.as_of, cal.date <= d.as_of + ibis.interval(days=days)])
    flag = j[ind.column].cast("boolean").fill_null(False).cast("float64")
    table = j.group_by("as_of").aggregate(**{ind.name: flag.mean()})
    return Part(table, [ind.name], on=("as_of",))


# ---- all of them -------------------------------------------------------------------------------------------

SPECIAL = {
    "longest_run": longest_run_part,
    "post_holiday_share": post_holiday_part,
    "months_since_parent_home": months_since_parent_home_part,
    "parent_lost_contact": lost_contact_part,
    "benefit_active": benefit_part,
}


def indicator_parts(v: Views, spec: FeatureSpec) -> list[Part]:
    """One Part per event feed (all its simple aggregates share one join), one for the registry snapshot, one
    for the caregiver, and one per special indicator."""
    parts: list[Part] = []
    by_source: dict[str, list[Indicator]] = {}
    snapshot: list[Indicator] = []
    caregiver: list[Indicator] = []
    for ind in spec.indicators:
        if ind.aggregate in EVENT_AGGREGATES:
            by_source.setdefault(ind.source, []).append(ind)
        elif ind.aggregate in SNAPSHOT_AGGREGATES:
            snapshot.append(ind)
        elif ind.aggregate in CAREGIVER_AGGREGATES:
            caregiver.append(ind)
        elif ind.aggregate in SEASON_AGGREGATES:
            parts.append(season_part(v, ind))
        else:
            parts.append(SPECIAL[ind.aggregate](v, ind))
    parts += [event_part(v, source, inds) for source, inds in by_source.items()]
    if snapshot:
        parts.append(snapshot_part(v, snapshot))
    if caregiver:
        parts.append(caregiver_part(v, caregiver))
    return parts
