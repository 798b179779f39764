"""Feed high-water marks kept by ingest: per child feed, township and day of `recorded_at`, the latest
`recorded_at` loaded and how many rows. Monitoring reads feed freshness from this small table instead of
scanning every attendance row (serving/monitoring/feeds.py).

Ingest updates it in the transaction that inserts the rows (`record`), so a rolled-back table leaves no mark.
A row counts in the township of its child's latest registry snapshot in the warehouse when it is loaded (a
registry row: its own village); a child the registry does not know counts under township ''. Marks are kept
per day so a monitoring run at an earlier as-of date reads them too. A warehouse loaded before the table
existed gets it rebuilt from its rows once, at its next ingest (`ensure`); until then, monitoring sees that
the marks do not cover the feed's rows (`rows` sum ≠ table row count) and scans."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from data_contracts.feeds import FEEDS, Feed
from data_contracts.warehouse import table_columns

TABLE = "feed_watermarks"
REGISTRY = "children_registry"
_DDL = (
    f'CREATE TABLE IF NOT EXISTS "{TABLE}" (feed VARCHAR, township_code VARCHAR, recorded_day DATE, '
    'latest_recorded_at TIMESTAMP, "rows" BIGINT, updated_at TIMESTAMP, '
    "PRIMARY KEY (feed, township_code, recorded_day))"
)


def township_of(village: str) -> str:
    """The SQL for a 12-digit village code's township (its first nine digits, then 000)."""
    return f"coalesce(left({village}, 9) || '000', '')"


def watermarked(feed: Feed) -> bool:
    """Whether ingest keeps marks for `feed`: a child's feed with a `recorded_at`."""
    columns = table_columns(feed)
    return "child_key" in columns and "recorded_at" in columns


def _marks_sql(feed: str, source: str) -> str:
    """(feed, township_code, recorded_day, latest_recorded_at, rows) of the rows in `source`."""
    if feed == REGISTRY:
        return (
            f"SELECT '{feed}' AS feed, {township_of('s.residence_village_code')} AS township_code, "
            "CAST(s.recorded_at AS DATE) AS recorded_day, max(s.recorded_at) AS latest_recorded_at, "
            f'count(*) AS "rows" FROM {source} s GROUP BY ALL'
        )
    # only the registry rows of this source's children are read, not the whole registry
    return (
        f"WITH keys AS (SELECT DISTINCT child_key FROM {source}), "
        "homes AS (SELECT r.child_key, arg_max(r.residence_village_code, r.snapshot_date) AS village "
        f'FROM "{REGISTRY}" r SEMI JOIN keys USING (child_key) GROUP BY r.child_key) '
        f"SELECT '{feed}' AS feed, {township_of('h.village')} AS township_code, "
        "CAST(s.recorded_at AS DATE) AS recorded_day, max(s.recorded_at) AS latest_recorded_at, "
        f'count(*) AS "rows" FROM {source} s LEFT JOIN homes h USING (child_key) GROUP BY ALL'
    )


def _merge(con: duckdb.DuckDBPyConnection, feed: str, source: str) -> None:
    stamp = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        f'INSERT INTO "{TABLE}" SELECT m.*, ?::TIMESTAMP AS updated_at FROM ({_marks_sql(feed, source)}) m '
        "ON CONFLICT (feed, township_code, recorded_day) DO UPDATE SET "
        "latest_recorded_at = greatest(latest_recorded_at, excluded.latest_recorded_at), "
        '"rows" = "rows" + excluded."rows", updated_at = excluded.updated_at',
        [stamp],
    ).fetchall()


def record(con: duckdb.DuckDBPyConnection, feed: Feed, rows: pd.DataFrame) -> None:
    """Add the rows just inserted into `feed`'s table (warehouse columns) to its marks."""
    if rows.empty or not watermarked(feed):
        return
    wanted = ["child_key", "recorded_at"] + (["residence_village_code"] if feed.name == REGISTRY else [])
    con.register("_watermark_rows", rows[wanted])
    try:
        _merge(con, feed.name, "_watermark_rows")
    finally:
        con.unregister("_watermark_rows")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every mark from the feed tables' rows (one scan of each)."""
    con.execute(_DDL).fetchall()
    con.execute(f'DELETE FROM "{TABLE}"').fetchall()
    present = _tables(con)
    for feed in FEEDS.values():
        if watermarked(feed) and feed.name in present:
            _merge(con, feed.name, f'"{feed.name}"')


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table; on a warehouse that holds rows loaded before it existed, build it from them."""
    present = _tables(con)
    if TABLE in present:
        return
    held = [
        f.name
        for f in FEEDS.values()
        if watermarked(f)
        and f.name in present
        and con.execute(f'SELECT 1 FROM "{f.name}" LIMIT 1').fetchall()
    ]
    if held:
        rebuild(con)
    else:
        con.execute(_DDL).fetchall()
