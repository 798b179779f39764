"""Compile the indicator spec to Ibis expressions. Each builder returns a table keyed `(child_key, as_of)` (or
`as_of` alone for season indicators) holding some indicator columns, plus the value a child without any row
gets (0 for counts, NaN for "unknown"). No pandas and no UDFs here: only Ibis, so the same definitions run on
any backend. One join per source and window class, never a Python loop over dates."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce

import ibis
import ibis.expr.types as ir

from features import asof
from features.backend import Backend
from features.spec import Condition, FeatureSpec, Indicator

DAYS_PER_MONTH = 30.4375
KEY = ("child_key", "as_of")

# aggregates computed from one join of an event feed with the as-of dates
EVENT_AGGREGATES = {"count", "share", "any", "days_since_last", "latest", "days_past_latest", "share_change"}
SNAPSHOT_AGGREGATES = {"snapshot", "snapshot_has", "age_years"}
CAREGIVER_AGGREGATES = {"caregiver", "caregiver_age", "children_per_caregiver"}
SEASON_AGGREGATES = {"days_to_holiday", "calendar_share_ahead", "month_share_ahead"}
# windowed aggregates that are sums of per-record counts (the same from a join or from running sums)
ADDITIVE = {"count", "share", "share_change", "any"}


@dataclass
class Part:
    """Some indicator columns keyed by `on`; `fill` is the value for a cohort row without a match."""

    table: ir.Table
    columns: list[str]
    on: tuple[str, ...] = KEY
    fill: dict[str, float] = field(default_factory=dict)
    known_if: dict[str, str] = field(
        default_factory=dict
    )  # column -> column whose knownness means "0, not NaN"


@dataclass
class Views:
    """The point-in-time views shared by indicators and rules (built once per query)."""

    wh: Backend
    dates: ir.Table
    snapshot: ir.Table
    household: ir.Table
    caregiver: ir.Table
    episodes: ir.Table


def build_views(wh: Backend, dates: ir.Table) -> Views:
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
        return ibis.cases(
            *[(col == k, ibis.literal(v, "float64")) for k, v in ind.encode.items()],
            else_=ibis.null("float64"),
        )
    return col.cast("float64")


# ---- event feeds -------------------------------------------------------------------------------------------


def _max_window(inds: Iterable[Indicator]) -> int | None:
    spans = [
        (i.window_days * (2 if i.aggregate == "share_change" else 1)) if i.window_days else None for i in inds
    ]
    return None if any(s is None for s in spans) else max(spans)  # type: ignore[type-var]


def lookback_days(inds: Iterable[Indicator], source: str) -> int | None:
    """How far before the as-of date the indicators of `source` look (event time), or None when one of them
    reads all history (or none reads the feed)."""
    mine = [i for i in inds if i.source == source]
    return _max_window(mine) if mine else None


def _in_window(j: ir.Table, days: int | None, skip: int = 0) -> ir.BooleanValue:
    """`_t` in [as_of - skip - days, as_of - skip)."""
    if days is None:
        return ibis.literal(True)
    upper = j.as_of - ibis.interval(days=skip) if skip else j.as_of
    return (j._t >= upper - ibis.interval(days=days)) & (j._t < upper)


def _share(num: ir.BooleanValue, den: ir.BooleanValue) -> ir.FloatingValue:
    return (num & den).cast("float64").sum() / den.cast("float64").sum().nullif(0)


def _latest_key(t: ir.Table, time_col: str) -> ir.IntegerValue:
    """Integer sort key for "the latest record": the event day, then recorded_at (to the second)."""
    day = t[time_col].date().delta(ibis.date(1970, 1, 1), unit="day").cast("int64")
    return day * 10_000_000_000 + t.recorded_at.epoch_seconds().cast("int64")


class Conditions:
    """Named boolean columns, one per distinct condition set: indicators of a source mostly share theirs
    (attendance's five test two), so each is computed once per record."""

    def __init__(self, t: ir.Table) -> None:
        self.t = t
        self.columns: dict[str, ir.Value] = {}
        self._names: dict[tuple, str] = {}

    def name(self, key: tuple, expr: ir.BooleanValue) -> str:
        if key not in self._names:
            self._names[key] = f"_c{len(self._names)}"
            self.columns[self._names[key]] = expr
        return self._names[key]

    def where(self, ind: Indicator) -> str:
        return self.name(("w", ind.where_any), any_of(self.t, ind.where_any))

    def den(self, ind: Indicator) -> str:
        return self.name(("d", ind.denominator), any_of(self.t, ind.denominator))


def _needs_key(ind: Indicator) -> bool:
    return ind.aggregate in ("latest", "days_past_latest")


def event_inputs(t: ir.Table, time_col: str, inds: list[Indicator]) -> tuple[ir.Table, dict[int, tuple]]:
    """The source narrowed to what its indicators read: each distinct condition and value computed once per
    record, before the join with the as-of dates multiplies the rows. Returns the table and, per indicator
    number, the names of its (match, denominator) columns."""
    cols: dict[str, ir.Value] = {"child_key": t.child_key, "_t": t[time_col], "recorded_at": t.recorded_at}
    if any(_needs_key(i) for i in inds):
        cols["_k"] = _latest_key(t, time_col)
    conds = Conditions(t)
    names = {n: (conds.where(ind), conds.den(ind)) for n, ind in enumerate(inds)}
    for n, ind in enumerate(inds):
        if ind.aggregate == "latest":
            cols[f"_v{n}"] = encoded(t[ind.column], ind)
        elif ind.aggregate == "days_past_latest":
            cols[f"_v{n}"] = t[ind.column]
    return t.select(**cols, **conds.columns), names


def event_metric(
    j: ir.Table, ind: Indicator, n: int, names: tuple[str, str]
) -> tuple[ir.Value, float | None]:
    """The aggregate expression of event indicator number `n` over the joined (event, as_of) table, and the
    value for a child without records."""
    win = _in_window(j, ind.window_days)
    match, den = j[names[0]], j[names[1]]
    agg = ind.aggregate
    if agg == "count":
        count = (match & den & win).cast("float64").sum()
        if ind.per_days and ind.window_days:
            count = count * (ind.per_days / ind.window_days)
        if ind.denominator:  # no eligible records at all: unknown, not zero
            return ibis.ifelse((den & win).cast("int64").sum() > 0, count, ibis.null("float64")), None
        return count, 0.0
    if agg == "share":
        return _share(match & win, den & win), None
    if agg == "share_change":
        prev = _in_window(j, ind.window_days, skip=ind.window_days)
        return _share(match & win, den & win) - _share(match & prev, den & prev), None
    if agg == "any":
        return (match & den & win).cast("float64").max(where=den & win), None
    as_of = j.as_of.max()  # a group key: any row's value
    if agg == "days_since_last":
        return asof.days_between(as_of, j._t.max(where=match & win)).cast("float64"), None
    value = j[f"_v{n}"]
    latest = value.argmax(j._k, where=match & win & value.notnull())
    if agg == "latest":
        return latest, None
    if agg == "days_past_latest":
        return ibis.greatest(asof.days_between(as_of, latest), 0).cast("float64"), None
    raise ValueError(f"{ind.name}: {agg} is not an event aggregate")


def event_part(v: Views, source: str, inds: list[Indicator]) -> Part:
    """The event aggregates of a source from one join of its records with the as-of dates (each record
    with each as_of whose window holds it). Windowed counts, shares and their changes become one filtered
    COUNT per distinct (condition, span), against span bounds computed once per as_of, not per row."""
    tcol = asof.event_time(source)
    narrow, names = event_inputs(v.wh.table(source), tcol, inds)
    windowed = [n for n, i in enumerate(inds) if i.aggregate in ADDITIVE and i.window_days]
    spans = sorted({s for n in windowed for s in _spans(inds[n])})
    offsets = sorted({o for span in spans for o in span if o})
    dates = v.dates.mutate(**{f"_b{o}": v.dates.as_of - ibis.interval(days=o) for o in offsets})
    j = asof.visible_events(narrow, dates, "_t", _max_window(inds))

    counts: dict[str, ir.Value] = {}
    # matching and eligible records per span: the match column is where_any AND denominator
    for n in windowed:
        m, d = names[n]
        for lo, hi in _spans(inds[n]):
            key_m, key_d = f"{m}_{d}_n{lo}_{hi}", f"{d}_n{lo}_{hi}"
            in_span = j._t >= j[f"_b{hi}"]
            if lo:
                in_span = in_span & (j._t < j[f"_b{lo}"])
            counts.setdefault(key_m, j.count(where=j[m] & j[d] & in_span))
            counts.setdefault(key_d, j.count(where=j[d] & in_span))
    others = {
        inds[n].name: event_metric(j, inds[n], n, names[n]) for n in range(len(inds)) if n not in windowed
    }
    agg = j.group_by(list(KEY)).aggregate(**counts, **{k: m for k, (m, _) in others.items()})

    def total(n: int, which: str, lo: int, hi: int) -> ir.FloatingValue:
        m, d = names[n]
        return agg[f"{m}_{d}_n{lo}_{hi}" if which == "m" else f"{d}_n{lo}_{hi}"].cast("float64")

    metrics, fills = _additive_metrics(inds, windowed, total)
    fills |= {k: f for k, (_, f) in others.items() if f is not None}
    columns = [i.name for i in inds]
    table = agg.select(*KEY, **{c: metrics[c] if c in metrics else agg[c] for c in columns})
    return Part(table, columns, fill=fills)


# ---- additive window aggregates: prefix sums instead of (record x as_of) pairs -----------------------------


def _spans(ind: Indicator) -> list[tuple[int, int]]:
    """The [as_of - hi, as_of - lo) spans (lo, hi) an additive indicator needs."""
    w = ind.window_days or 0
    return [(0, w), (w, 2 * w)] if ind.aggregate == "share_change" else [(0, w)]


def _additive_metrics(
    inds: list[Indicator], numbers: Iterable[int], total: Callable[[int, str, int, int], ir.FloatingValue]
) -> tuple[dict[str, ir.Value], dict[str, float]]:
    """count / share / share_change / any of the indicators `numbers` from `total(n, "m" | "d", lo, hi)`:
    matching (where_any and denominator) or eligible (denominator) records of indicator n in
    [as_of - hi, as_of - lo). Returns the values and the fills for children without records."""
    metrics: dict[str, ir.Value] = {}
    fills: dict[str, float] = {}
    for n in numbers:
        ind = inds[n]
        lo, hi = _spans(ind)[0]
        m, d = total(n, "m", lo, hi), total(n, "d", lo, hi)
        if ind.aggregate == "count":
            value = m * (ind.per_days / ind.window_days) if ind.per_days and ind.window_days else m
            if ind.denominator:  # no eligible records at all: unknown, not zero
                value = ibis.ifelse(d > 0, value, ibis.null("float64"))
            else:
                fills[ind.name] = 0.0
        elif ind.aggregate == "share":
            value = m / d.nullif(0)
        elif ind.aggregate == "share_change":
            lo2, hi2 = _spans(ind)[1]
            value = m / d.nullif(0) - total(n, "m", lo2, hi2) / total(n, "d", lo2, hi2).nullif(0)
        else:  # any
            value = ibis.ifelse(d > 0, (m > 0).cast("float64"), ibis.null("float64"))
        metrics[ind.name] = value
    return metrics, fills


def additive_part(v: Views, source: str, inds: list[Indicator]) -> Part:
    """count / share / share_change / any over windows, for many as-of dates without multiplying every record
    by every as-of date: sum over [as_of - hi, as_of - lo) = prefix(as_of - lo) - prefix(as_of - hi), looked
    up with an as-of join on per-child running sums, minus the records in the span not yet entered at as_of
    (recorded_at >= as_of: a short tail, since records are entered days after the event)."""
    t = v.wh.table(source)
    tcol = asof.event_time(source)
    # one counter per distinct condition: attendance's five indicators share two (unexcused, school day)
    counters: dict[str, ir.Value] = {}
    names_of: dict[int, tuple[str, str]] = {}
    seen: dict[tuple, str] = {}

    def counter(key: tuple, expr: ir.BooleanValue) -> str:
        if key not in seen:
            seen[key] = f"_c{len(seen)}"
            counters[seen[key]] = expr.cast("int64")
        return seen[key]

    for n, ind in enumerate(inds):
        den = any_of(t, ind.denominator)
        m = counter(("m", ind.where_any, ind.denominator), any_of(t, ind.where_any) & den)
        names_of[n] = (m, counter(("d", ind.denominator), den))
    day = t[tcol].truncate("D")
    x = t.select("child_key", "recorded_at", _t=t[tcol], _d=day, _rd=t.recorded_at.truncate("D"), **counters)
    names = list(counters)
    wh = v.wh

    # The span edges `as_of - offset` (midnights), ranked 1..E. A record dated on day d lies in
    # [edge r, edge s) iff r <= K(d) < s, K(d) = the rank of the last edge <= d (0 before the first).
    spans = sorted({s for ind in inds for s in _spans(ind)})
    offsets = sorted({o for span in spans for o in span})
    bnd = ibis.union(
        *[
            v.dates.select("as_of", _off=ibis.literal(o, "int64"), _b=v.dates.as_of - ibis.interval(days=o))
            for o in offsets
        ]
    )
    edges = bnd.select("_b").distinct()
    edges = wh.materialize(edges.mutate(_r=ibis.row_number().over(order_by=edges._b) + 1), f"{source}_edges")
    # the day map: per day of an event or entry, its edge rank K and N = how many as-of dates are <= it
    days = ibis.union(x.select("_d"), x.select(_d=x._rd), distinct=True)
    days = days.filter(days._d.notnull())
    below = days.left_join(edges, edges._b <= days._d).group_by("_d").aggregate(_k=edges._r.max())
    seen_by = (
        days.left_join(v.dates, v.dates.as_of <= days._d).group_by("_d").aggregate(_n=v.dates.as_of.count())
    )
    dm = below.join(seen_by, "_d").select("_d", _k=below._k.fill_null(0), _n=seen_by._n)
    dm = wh.materialize(dm, f"{source}_days")

    # prefix(edge r) = records with K < r = C(r - 1), C a running sum over a dense (child x rank) grid: a few
    # hundred thousand rows instead of one per record day; the ranks come from a hash join with the day map
    b = x.join(dm, x._d == dm._d).select("child_key", dm._k, *names)
    per_rank = wh.materialize(
        b.group_by(["child_key", "_k"]).aggregate(**{c: b[c].sum() for c in names}), f"{source}_ranks"
    )
    ranks = edges.select(_k=edges._r - 1)
    grid = per_rank.select("child_key").distinct().cross_join(ranks)
    dense = grid.left_join(per_rank, ["child_key", "_k"]).select(
        grid.child_key, grid._k, **{c: per_rank[c].fill_null(0) for c in names}
    )
    running = ibis.cumulative_window(group_by=dense.child_key, order_by=dense._k)
    cum = dense.mutate(**{c: dense[c].sum().over(running) for c in names})
    look = bnd.join(edges, "_b").select("as_of", "_off", _k=edges._r - 1)
    prefix = cum.join(look, "_k").select("child_key", "as_of", "_off", *names)
    at = prefix.group_by(list(KEY)).aggregate(
        **{f"{c}_p{o}": prefix[c].max(where=prefix._off == o) for c in names for o in offsets}
    )

    longest = max(hi for _, hi in spans)
    # records entered at or after an as_of they are dated before (some as_of in (day, entry day]): found with
    # the day map's N by two hash joins, then only those few joined with the dates on the inequalities
    dr = dm.view()
    pending = x.join(dm, x._d == dm._d).join(dr, x._rd == dr._d)
    pending = pending.filter(dr._n > dm._n).select(*x.columns)
    late = pending.join(v.dates, [pending._t < v.dates.as_of, pending.recorded_at >= v.dates.as_of])
    late = late.filter(late._t >= late.as_of - ibis.interval(days=longest))
    in_span = {
        (lo, hi): (late._t >= late.as_of - ibis.interval(days=hi))
        & (late._t < late.as_of - ibis.interval(days=lo))
        for lo, hi in spans
    }
    tail = late.group_by(list(KEY)).aggregate(
        **{f"{c}_l{lo}_{hi}": late[c].sum(where=in_span[(lo, hi)]) for c in names for lo, hi in spans}
    )
    both = at.left_join(tail, list(KEY)).select(at, *[f"{c}_l{lo}_{hi}" for c in names for lo, hi in spans])

    def total(n: int, which: str, lo: int, hi: int) -> ir.FloatingValue:
        c = names_of[n][0 if which == "m" else 1]
        entered_late = both[f"{c}_l{lo}_{hi}"].fill_null(0)
        return (both[f"{c}_p{lo}"] - both[f"{c}_p{hi}"] - entered_late).cast("float64")

    metrics, fills = _additive_metrics(inds, range(len(inds)), total)
    return Part(both.select(*KEY, **metrics), list(metrics), fill=fills)


def longest_run_part(v: Views, ind: Indicator, known_if: str | None) -> Part:
    """Longest run of matching records on consecutive school days (calendar; Mon–Fri without one), per
    as_of. Gaps-and-islands over the matching records only (a few percent of attendance): on a run, the
    school-day index minus the record's rank is constant. A school day without a matching record — present,
    excused, or not recorded — ends a run."""
    t = v.wh.table(ind.source)
    tcol = asof.event_time(ind.source)
    # only the matching records, only the columns needed, only the span some as_of's window can see: the
    # school-day numbering and the window function below then touch a few percent of the feed
    hits = t.filter(any_of(t, ind.where_any) & any_of(t, ind.denominator))
    hits = asof.within_bounds(
        hits.select("child_key", "recorded_at", _t=hits[tcol]), v.dates, ind.window_days
    )
    cal = v.wh.table("calendar")
    school = cal.filter(cal.is_school_day.fill_null(False)).select("date")
    numbered = school.mutate(_i=ibis.row_number().over(order_by=school.date))
    hits = hits.left_join(numbered, hits._t == numbered.date).select(*hits.columns, "_i")
    n = hits._t.date().delta(ibis.date(1970, 1, 5), unit="day")  # days since a Monday
    weekday = (n % 7) < 5
    has_calendar = school.count().as_scalar() > 0
    idx = ibis.ifelse(has_calendar, hits._i, ibis.ifelse(weekday, (n // 7) * 5 + n % 7, ibis.null("int64")))
    hits = hits.mutate(_idx=idx.cast("int64")).filter(lambda x: x._idx.notnull())
    j = asof.visible_events(hits, v.dates, "_t", ind.window_days)
    w = ibis.window(group_by=[j.child_key, j.as_of], order_by=[j._idx])
    j = j.mutate(_run=j._idx - ibis.dense_rank().over(w))
    runs = j.group_by([*KEY, "_run"]).aggregate(_n=j._idx.nunique())
    table = runs.group_by(list(KEY)).aggregate(**{ind.name: runs._n.max().cast("float64")})
    # no matching record: 0 if the child has eligible records in the window (per `known_if`), else unknown
    return Part(
        table,
        [ind.name],
        known_if={ind.name: known_if} if known_if else {},
        fill={} if known_if else {ind.name: 0.0},
    )


def post_holiday_part(v: Views, ind: Indicator) -> Part:
    """Share among records dated in the first `days_after_term_start` days of a term (terms from the school
    calendar, published in advance, so it carries no recorded_at)."""
    cal = v.wh.table("calendar")
    starts = (
        cal.filter(cal.is_school_day.fill_null(False) & cal.term_id.notnull())
        .group_by("term_id")
        .aggregate(_start=cal.date.min())
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
    j = asof.latest(b.join(v.dates, b.recorded_at < v.dates.as_of), ["benefit_id", "as_of"], ["recorded_at"])
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
        table = x.group_by("as_of").aggregate(
            **{ind.name: x._day.month().isin(months).cast("float64").mean()}
        )
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


def _known_if(spec: FeatureSpec, ind: Indicator) -> str | None:
    """An indicator telling whether `ind`'s eligible records exist: a share over the same records."""
    for other in spec.indicators:
        if (
            other.aggregate == "share"
            and other.source == ind.source
            and other.window_days == ind.window_days
            and other.denominator == ind.denominator
        ):
            return other.name
    return None


SPECIAL = {
    "post_holiday_share": post_holiday_part,
    "months_since_parent_home": months_since_parent_home_part,
    "parent_lost_contact": lost_contact_part,
    "benefit_active": benefit_part,
}


def indicator_parts(v: Views, spec: FeatureSpec, prefix_sums: bool = True) -> list[Part]:
    """One Part per event feed (its simple aggregates share one join), one for the registry snapshot, one for
    the caregiver, one per special indicator. With `prefix_sums` (worth it from a handful of as-of dates on),
    windowed counts and shares come from running sums instead of the (record x as_of) join."""
    parts: list[Part] = []
    by_source: dict[str, list[Indicator]] = {}
    additive: dict[str, list[Indicator]] = {}
    snapshot: list[Indicator] = []
    caregiver: list[Indicator] = []
    for ind in spec.indicators:
        if prefix_sums and ind.aggregate in ADDITIVE and ind.window_days:
            additive.setdefault(ind.source, []).append(ind)
        elif ind.aggregate in EVENT_AGGREGATES:
            by_source.setdefault(ind.source, []).append(ind)
        elif ind.aggregate in SNAPSHOT_AGGREGATES:
            snapshot.append(ind)
        elif ind.aggregate in CAREGIVER_AGGREGATES:
            caregiver.append(ind)
        elif ind.aggregate in SEASON_AGGREGATES:
            parts.append(season_part(v, ind))
        elif ind.aggregate == "longest_run":
            parts.append(longest_run_part(v, ind, _known_if(spec, ind)))
        else:
            parts.append(SPECIAL[ind.aggregate](v, ind))
    parts += [additive_part(v, source, inds) for source, inds in additive.items()]
    parts += [event_part(v, source, inds) for source, inds in by_source.items()]
    if snapshot:
        parts.append(snapshot_part(v, snapshot))
    if caregiver:
        parts.append(caregiver_part(v, caregiver))
    return parts
