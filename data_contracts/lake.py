"""The warehouse as a Parquet lake: one folder per feed, partitioned by month (`<lake>/<feed>/month=YYYY-MM/`
folders), which DuckDB and Spark both read. Only the feed tables go there: identity, quarantine and
bookkeeping stay in the DuckDB file, which serving keeps reading for identity and display. Lineage columns
stay behind too (the features never read them, and they name source files).

The month is that of the feed's event time, else of `recorded_at`, else (the calendar, snapshots without a
date) `none`: a reader that wants a year of attendance then opens twelve folders, not the whole history."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from data_contracts.feeds import FEEDS
from data_contracts.warehouse import table_columns

PARTITION = "month"
NO_MONTH = "none"
MARKER = "_lake_complete"  # written last: a lake without it is half-written


def month_expr(feed: str) -> str:
    """SQL for a feed row's partition month."""
    cols = table_columns(FEEDS[feed])
    event = FEEDS[feed].event_time
    times = [f'"{c}"' for c in (event, "recorded_at") if c and cols.get(c) == "TIMESTAMP"]
    if not times:
        return f"'{NO_MONTH}'"
    return f"coalesce(strftime(coalesce({', '.join(times)}), '%Y-%m'), '{NO_MONTH}')"


def feed_columns(feed: str) -> list[str]:
    """The lake's columns of a feed: the warehouse table's, lineage left out."""
    return [c for c in table_columns(FEEDS[feed]) if not c.startswith("_")]


def write_lake(warehouse: Path | str, lake: Path | str) -> dict[str, int]:
    """Write every feed table of the DuckDB `warehouse` to `lake`, replacing what was there; rows per feed."""
    lake = Path(lake)
    if lake.exists():
        shutil.rmtree(lake)
    lake.mkdir(parents=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    rows: dict[str, int] = {}
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for feed in FEEDS:
            if feed not in present:
                continue
            cols = ", ".join(f'"{c}"' for c in feed_columns(feed))
            rows[feed] = con.execute(f'SELECT count(*) FROM "{feed}"').fetchone()[0]
            if rows[feed] == 0:
                continue  # no folder: readers see the feed as absent, which it is
            con.execute(
                f'COPY (SELECT {cols}, {month_expr(feed)} AS {PARTITION} FROM "{feed}") '
                f"TO '{lake / feed}' (FORMAT parquet, PARTITION_BY ({PARTITION}), COMPRESSION zstd)"
            )
    finally:
        con.close()
    (lake / MARKER).write_text("ok\n")
    return rows


def lake_feeds(lake: Path | str) -> list[str]:
    """The feeds the lake holds, in contract order."""
    lake = Path(lake)
    if not (lake / MARKER).exists():
        raise FileNotFoundError(f"{lake} is not a complete Parquet lake (no {MARKER}); write it again")
    return [f for f in FEEDS if (lake / f).is_dir()]


def lake_glob(lake: Path | str, feed: str) -> str:
    return str(Path(lake) / feed / "**" / "*.parquet")


def is_lake(path: Path | str) -> bool:
    return Path(path).is_dir()
