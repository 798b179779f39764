"""The bookkeeping tables of a run: the run record, one record per table loaded, the tables not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from data_contracts.readers import Source
from data_contracts.results import FileResult, IngestReport


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, upsert: bool = False) -> None:
    if frame.empty:
        return
    con.register("_ingest_rows", frame)
    try:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        verb = "INSERT OR REPLACE" if upsert else "INSERT"
        con.execute(f'{verb} INTO "{table}" ({columns}) SELECT {columns} FROM _ingest_rows').fetchall()
    finally:
        con.unregister("_ingest_rows")


def file_record(result: FileResult, sha: str, run_id: str, source: Source, source_file: str) -> pd.DataFrame:
    c = result.counts
    return pd.DataFrame(
        [
            {
                "sha256": sha,
                "run_id": run_id,
                "feed": source.feed.name,
                "source_file": source_file,
                "sheet": source.sheet,
                "read": c.read,
                "loaded": c.loaded,
                "quarantined": c.quarantined,
                "duplicate": c.duplicate,
                "header_row": result.header_row,
                "header_rows": c.header,
                "blank_rows": c.blank,
                "rows_in_file": c.rows,
                "columns_not_loaded": json.dumps(
                    {"unknown": result.unknown_columns, "declared": result.not_loaded_columns},
                    ensure_ascii=False,
                ),
                "ingested_at": now(),
                "contract_version": source.feed.version,
            }
        ]
    )


def write_run(con: duckdb.DuckDBPyConnection, report: IngestReport, started: datetime, folder: Path) -> None:
    """The run record, and one row per table that could not be read; written whatever happened."""
    total = report.total
    append(
        con,
        "ingest_runs",
        pd.DataFrame(
            [
                {
                    "run_id": report.run_id,
                    "started_at": started,
                    "finished_at": now(),
                    "folder": str(folder),
                    "strict": report.strict,
                    "files": sum(1 for f in report.files if not (f.skipped or f.error)),
                    "read": total.read,
                    "loaded": total.loaded,
                    "quarantined": total.quarantined,
                    "duplicate": total.duplicate,
                    "header_rows": total.header,
                    "blank_rows": total.blank,
                    "errors": len(report.errors),
                    "refused": report.refused,
                    "headers_file": str(report.headers_file) if report.headers_file else None,
                }
            ]
        ),
    )
    problems = [
        {
            "run_id": report.run_id,
            "source_file": f.path.name,
            "sheet": f.sheet,
            "feed": f.feed,
            "problem": f.error,
        }
        for f in report.errors
    ]
    if problems:
        append(con, "ingest_errors", pd.DataFrame(problems))
