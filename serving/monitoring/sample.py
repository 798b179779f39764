"""The children drift is measured on: for a warehouse larger than the sample size, a fixed sample chosen by
key, so building their feature matrix costs the same whatever the warehouse's size.

The sample is the `size` children, among those the registry knows before the as-of date, with the smallest
pseudonymous keys. A key is an HMAC-SHA256 of the child's id (`data_contracts.pseudonym`), so the smallest
keys are a uniform sample, and the same children month after month (a child joins or leaves it only by
entering or leaving the registry): two months' PSI compare like with like, and nothing random is drawn.
Because the sample is a key range, copying its rows out of a feed is a comparison in the scan (`child_key <=
the sample's largest key`), not a join: at 1M children, 530M attendance rows are filtered in about a fifth
of the time a join with the sample's keys took. Rows of children in that range whom the registry did not yet
know are copied too and change nothing: the features see only what was recorded before the as-of date.
The rows go into an in-memory DuckDB session that the feature builders read as a warehouse. Household
members are copied for every person who belongs to a sampled child's household, so a caregiver's count of
children in care (an input) counts the children outside the sample too.

A warehouse with at most `size` children, or a Parquet lake, is measured on every child (`None`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis

from data_contracts.feeds import FEEDS
from data_contracts.lake import is_lake
from features.backend import DuckDBWarehouse
from features.indicators import lookback_days
from features.spec import FeatureSpec

HOUSEHOLD = "household_members"
# the feed with most of the rows (one per child and school day), read only by the spec's attendance
# indicators: its rows dated before their longest window are not copied (a day of margin)
WINDOWED = "school_attendance"


def _copy_sql(name: str, columns: set[str], last_key: str, since: dt.date | None = None) -> str:
    source = f'wh.main."{name}"'
    within = "child_key <= '" + last_key.replace("'", "''") + "'"
    if since is not None:
        within += f" AND \"{FEEDS[name].event_time}\" >= DATE '{since.isoformat()}'"
    if name == HOUSEHOLD:
        return (
            f'CREATE TABLE "{name}" AS SELECT * FROM {source} WHERE person_key IN '
            f"(SELECT person_key FROM {source} WHERE {within})"
        )
    if "child_key" in columns:
        return f'CREATE TABLE "{name}" AS SELECT * FROM {source} WHERE {within}'
    return f'CREATE TABLE "{name}" AS SELECT * FROM {source}'


def sampled_warehouse(
    path: Path, as_of: dt.date, size: int, spec: FeatureSpec | None = None
) -> tuple[DuckDBWarehouse, int, int] | None:
    """(the sample as a warehouse, children sampled, children known at `as_of`), or None when every child is
    to be used. Given the spec the features will be built with, attendance older than its indicators'
    longest window is left out. The caller closes the warehouse."""
    path = Path(path)
    if is_lake(path):
        return None
    con = ibis.duckdb.connect()
    raw = con.con
    keep = False
    try:
        raw.execute(f"ATTACH '{path.resolve()}' AS wh (READ_ONLY)")
        raw.execute(
            f"CREATE TEMP TABLE _drift_known AS SELECT DISTINCT child_key FROM wh.main.children_registry "
            f"WHERE recorded_at < '{as_of.isoformat()}'::TIMESTAMP"
        )
        known = int(raw.execute("SELECT count(*) FROM _drift_known").fetchone()[0])  # type: ignore[index]
        if known <= size:
            return None
        last = raw.execute(
            "SELECT max(child_key) FROM "
            f"(SELECT child_key FROM _drift_known ORDER BY child_key LIMIT {int(size)})"
        ).fetchone()
        last_key = str(last[0])  # type: ignore[index]
        columns: dict[str, set[str]] = {}
        for table, column in raw.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = 'wh' AND table_schema = 'main'"
        ).fetchall():
            columns.setdefault(table, set()).add(column)
        days = lookback_days(spec.indicators, WINDOWED) if spec is not None else None
        since = as_of - dt.timedelta(days=days + 1) if days is not None else None
        for name in FEEDS:
            if name in columns:
                raw.execute(_copy_sql(name, columns[name], last_key, since if name == WINDOWED else None))
        raw.execute("DETACH wh")
        keep = True
        return DuckDBWarehouse(con, source="drift-sample"), size, known
    finally:
        if not keep:
            con.disconnect()
