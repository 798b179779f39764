"""The DuckDB warehouse: table layout (docs/architecture.md §2) and how readers open it.

Readers (features, serving) call `connect(path)`; ingest calls `connect(path, read_only=False)` and
`ensure_schema`. Table and column names come from the contracts through `table_columns`, so nobody spells
them twice.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandera.pandas as pa

from data_contracts.feeds import FEEDS, Feed

LINEAGE = {"_source_file": "VARCHAR", "_row_number": "BIGINT", "_ingest_run": "VARCHAR"}
PII_COLUMN = {"id_number": "id_hash", "phone": "phone_hash", "name": None}  # pii kind -> warehouse column
PSEUDONYM_KIND = {"child_id": "child"}  # every other pseudonymized id is a person

IDENTITY_TABLES = {
    "identity_children": {"child_key": "VARCHAR PRIMARY KEY", "name": "VARCHAR", "id_number": "VARCHAR"},
    # the text of lines quarantined as malformed_line: it may hold names and ID numbers
    "identity_raw_lines": {
        "ingest_run": "VARCHAR",
        "feed": "VARCHAR",
        "source_file": "VARCHAR",
        "row_number": "BIGINT",
        "raw_text": "VARCHAR",
    },
    "identity_persons": {
        "person_key": "VARCHAR PRIMARY KEY",
        "name": "VARCHAR",
        "id_number": "VARCHAR",
        "phone": "VARCHAR",
    },
}
BOOKKEEPING_TABLES = {
    "ingest_runs": {
        "run_id": "VARCHAR PRIMARY KEY",
        "started_at": "TIMESTAMP",
        "finished_at": "TIMESTAMP",
        "folder": "VARCHAR",
        "strict": "BOOLEAN",
        "files": "BIGINT",
        "read": "BIGINT",
        "loaded": "BIGINT",
        "quarantined": "BIGINT",
        "duplicate": "BIGINT",
        "header_rows": "BIGINT",  # header, title and repeated header rows of the run's tables
        "blank_rows": "BIGINT",
        "errors": "BIGINT",  # tables that could not be read (listed in ingest_errors)
        "refused": "VARCHAR",  # why nothing was loaded: the folder looked like another county's
        "headers_file": "VARCHAR",  # the county's header mapping used
    },
    "ingest_files": {
        "sha256": "VARCHAR PRIMARY KEY",
        "run_id": "VARCHAR",
        "feed": "VARCHAR",
        "source_file": "VARCHAR",
        "read": "BIGINT",
        "loaded": "BIGINT",
        "quarantined": "BIGINT",
        "duplicate": "BIGINT",
        "ingested_at": "TIMESTAMP",
        "contract_version": "VARCHAR",  # the feed's contract version the file was validated against
        # rows_in_file = read + header_rows + blank_rows, and read = loaded + quarantined + duplicate
        "sheet": "VARCHAR",  # the workbook sheet (sha256 then keys the sheet, see readers.source_sha256)
        "header_row": "BIGINT",  # 1-based row of the header in the file or sheet
        "header_rows": "BIGINT",  # the header, title and note rows above it, repeated headers
        "blank_rows": "BIGINT",
        "rows_in_file": "BIGINT",
        "columns_not_loaded": "JSON",  # {"unknown": [...], "declared": [...]} headers not loaded
    },
    "ingest_errors": {  # one row per table a run could not read
        "run_id": "VARCHAR",
        "source_file": "VARCHAR",
        "sheet": "VARCHAR",
        "feed": "VARCHAR",
        "problem": "VARCHAR",
    },
    "quarantine": {
        "ingest_run": "VARCHAR",
        "feed": "VARCHAR",
        "source_file": "VARCHAR",
        "row_number": "BIGINT",
        "field": "VARCHAR",
        "rule": "VARCHAR",
        "value": "VARCHAR",
        "original_row": "JSON",
    },
}


def pseudonym_kind(column: str) -> str:
    return PSEUDONYM_KIND.get(column, "person")


def warehouse_column(feed: Feed, column: str) -> str | None:
    """Warehouse name of a column (`child_id` -> `child_key`, `phone` -> `phone_hash`, name: None)."""
    meta = feed.schema.columns[column].metadata or {}
    if meta.get("pii"):
        return PII_COLUMN[meta["pii"]]
    if meta.get("pseudonymize"):
        return column.removesuffix("_id") + "_key"
    return column


def sql_type(column: pa.Column) -> str:
    dtype = str(column.dtype)
    if dtype.startswith("datetime"):
        return "TIMESTAMP"
    return {"boolean": "BOOLEAN", "Int64": "BIGINT", "float64": "DOUBLE"}.get(dtype, "VARCHAR")


def table_columns(feed: Feed) -> dict[str, str]:
    """Warehouse column -> SQL type for a feed's table, contract order, lineage last."""
    columns: dict[str, str] = {}
    for name, column in feed.schema.columns.items():
        target = warehouse_column(feed, name)
        if target is not None:
            columns[target] = "VARCHAR" if target != name else sql_type(column)
    return columns | LINEAGE


def warehouse_key(feed: Feed) -> list[str]:
    """The contract key in warehouse column names."""
    return [warehouse_column(feed, c) or c for c in feed.key]


def model_facing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table in the warehouse except the restricted identity tables."""
    names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    return sorted(n for n in names if not n.startswith("identity_"))


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], present: set[str]) -> None:
    """Create `table`, or add the columns it lacks: a warehouse made under an older contract has no columns
    added since, and as those are nullable, adding them keeps its rows and lets new files load beside them."""
    if not present:
        body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({body})')
        return
    for column, sql_type_ in columns.items():
        if column not in present:
            con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {sql_type_}')


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every feed, identity and bookkeeping table that does not exist yet (empty feeds included, so
    readers can rely on each table being there), and add columns a newer contract has to older tables."""
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall():
        present.setdefault(table, set()).add(column)
    for feed in FEEDS.values():
        _create(con, feed.name, table_columns(feed), present.get(feed.name, set()))
    for table, columns in (IDENTITY_TABLES | BOOKKEEPING_TABLES).items():
        _create(con, table, columns, present.get(table, set()))


def connect(path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. Read-only by default; a read-only open of a missing file is a clear error."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist; run `shouhu ingest` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)
