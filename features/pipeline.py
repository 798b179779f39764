"""`build_matrix`: cohort, indicators, rule flags and labels at many as-of dates, in a short sequence of Ibis
queries on the warehouse. Pandas appears only at the edge (loading the as-of dates and truth, the final
result and its dtypes).

Compiling the Ibis expressions costs a couple of seconds of Python, whatever the data size, so the compiled
SQL (a "plan") is kept per (spec hash, horizon, feeds present, truth or not): a second call — serving's cache
miss, the next monthly run, a property-test example — only runs SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from features import asof
from features.backend import Backend, as_of_frame, opened
from features.indicators import KEY, build_views, indicator_parts
from features.labels import (
    LABEL_TYPES,
    label_columns,
    label_table,
    truth_frames,
    truth_label_table,
    truth_risk_table,
)
from features.matrix import matrix_columns, validate
from features.rules import RULES, flag_table
from features.spec import AUDIT_COLUMNS, FeatureSpec, load_spec

DateLike = date | datetime | str | pd.Timestamp
DATES, TRUTH_OUTCOMES, TRUTH_RISK = "_asof_dates", "_truth_outcomes", "_truth_risk"
# From this many as-of dates on, windowed counts use running sums: each record then costs the same whatever
# the number of dates; below it, joining the few dates' windows touches fewer rows.
PREFIX_SUMS_FROM = 4


@dataclass(frozen=True)
class Plan:
    statements: tuple[str, ...]  # build the session temp tables, in order
    query: str  # the matrix itself


_PLANS: dict[tuple, Plan] = {}


def _left(out: ir.Table, part: ir.Table, on: Sequence[str], columns: Sequence[str]) -> ir.Table:
    return out.left_join(part, list(on)).select(*out.columns, *columns)


def matrix_expr(
    wh: Backend,
    dates: ir.Table,
    horizon_days: int,
    spec: FeatureSpec,
    truth: bool,
    prefix_sums: bool = True,
) -> ir.Table:
    """The matrix as an Ibis expression over materialized parts (everything but `label_observable`)."""
    v = build_views(wh, dates)
    out = wh.materialize(asof.cohort(v.snapshot).select(*KEY, *AUDIT_COLUMNS), "cohort")

    fills: dict[str, float] = {}
    known_if: dict[str, str] = {}
    for part in indicator_parts(v, spec, prefix_sums):
        out = _left(out, wh.materialize(part.table, part.columns[0]), part.on, part.columns)
        fills |= part.fill
        known_if |= part.known_if

    def final(n: str) -> ir.Value:
        col = out[n].cast("float64")
        if n in known_if:
            return ibis.ifelse(out[known_if[n]].isnull(), ibis.null("float64"), col.fill_null(0.0))
        return col.fill_null(fills[n]) if n in fills else col

    out = out.mutate(**{n: final(n) for n in spec.model_inputs()})
    out = wh.materialize(out, "indicators")
    out = wh.materialize(flag_table(v, out), "flags")

    labels = wh.materialize(label_table(wh, dates, horizon_days), "labels")
    out = _left(out, labels, KEY, label_columns())
    out = out.mutate(**{c: out[c].fill_null(0).cast("int64") for c in label_columns()})

    if truth:
        outcomes, risk = wh.session_table(TRUTH_OUTCOMES), wh.session_table(TRUTH_RISK)
        out = _left(
            out,
            wh.materialize(truth_label_table(outcomes, dates, horizon_days), "truth"),
            KEY,
            ["true_label"],
        )
        out = out.mutate(true_label=out.true_label.fill_null(0.0))
        out = _left(out, wh.materialize(truth_risk_table(risk, dates), "risk"), KEY, ["true_risk"])
    else:
        out = out.mutate(true_label=ibis_null(), true_risk=ibis_null())
    columns = [c for c in matrix_columns(spec) if c != "label_observable"]
    return out.select(*columns).order_by(["as_of", "child_key"])


def ibis_null() -> ir.Value:
    return ibis.null("float64")


def _edge_types(
    df: pd.DataFrame, spec: FeatureSpec, horizon_days: int, latest: datetime | None
) -> pd.DataFrame:
    """Pin the dtypes the contract promises and add `label_observable` (a comparison with one scalar)."""
    df["as_of"] = pd.to_datetime(df["as_of"]).astype("datetime64[us]")
    for c in ("child_key", "village_code", "township_code", "sex", "ethnicity_code", "age_group"):
        df[c] = df[c].astype("str")  # pandas' string dtype, NaN when unknown
    df["minority"] = df["minority"].astype("boolean")
    df["has_disability"] = df["has_disability"].fillna(False).astype(bool)
    for n in spec.model_inputs():
        df[n] = df[n].astype("float64")
    for r in RULES:
        df[r.column] = df[r.column].fillna(False).astype(bool)
    df["rule_flags"] = df["rule_flags"].fillna("").astype(str)
    for c in ("label", *[f"label_{t}" for t in LABEL_TYPES]):
        df[c] = df[c].astype("int64")
    window_end = df["as_of"] + pd.Timedelta(days=horizon_days)
    df["label_observable"] = (window_end <= pd.Timestamp(latest)) if latest is not None else False
    for c in ("true_label", "true_risk"):
        df[c] = df[c].astype("float64")
    return df[matrix_columns(spec)].reset_index(drop=True)


def build_matrix(
    warehouse: Path | str | Backend,
    as_of_dates: Sequence[DateLike],
    horizon_days: int = 90,
    truth_dir: Path | str | None = None,
    *,
    spec: FeatureSpec | None = None,
    prefix_sums: bool | None = None,
    pseudonym_secret: str | None = None,
) -> pd.DataFrame:
    """The feature matrix (docs/architecture.md §3) for the cohort at each as-of date, validated.
    `spec`: the indicator spec (default: the packaged v1; serving passes its champion's own). `prefix_sums`
    picks how windowed counts are computed (default: from PREFIX_SUMS_FROM dates on). `truth_dir` (simulated
    data) needs the `pseudonym_secret` the warehouse was ingested with, to key the truth's child ids."""
    spec = spec or load_spec()
    if truth_dir is not None and not pseudonym_secret:
        raise ValueError("truth_dir needs the pseudonym_secret the warehouse was ingested with")
    if prefix_sums is None:
        prefix_sums = len(set(as_of_dates)) >= PREFIX_SUMS_FROM
    wh, own = opened(warehouse)
    try:
        dates = wh.load_frame(DATES, as_of_frame(as_of_dates))
        if truth_dir is not None:
            outcomes, risk = truth_frames(Path(truth_dir), pseudonym_secret)
            wh.load_frame(TRUTH_OUTCOMES, outcomes)
            wh.load_frame(TRUTH_RISK, risk)
        # the tables' columns belong to the key: two warehouses at the same place (a copy, a re-ingest with
        # lineage columns) can differ in schema, and a plan compiled for one must not be replayed on the other
        key = (spec.hash, horizon_days, wh.key, wh.layout(), truth_dir is not None, prefix_sums)
        plan = _PLANS.get(key)
        if plan is None:
            wh.recorded.clear()
            query = wh.compile(matrix_expr(wh, dates, horizon_days, spec, truth_dir is not None, prefix_sums))
            plan = _PLANS[key] = Plan(tuple(wh.recorded), query)
            df = wh.query(plan.query)
        else:
            df = wh.replay(plan.statements, plan.query)
        # labels come from incidents: their window is observed once the incidents feed reaches past it (other
        # feeds, e.g. late-typed registry updates, can run on after incidents stop)
        latest = wh.latest_recorded_at(["incidents"]) or wh.latest_recorded_at()
    finally:
        if own:
            wh.close()
    return validate(_edge_types(df, spec, horizon_days, latest), spec)
