"""Getting the feature matrix: read a parquet file, or build it over monthly as-of dates from the warehouse
(`features.pipeline.build_matrix`, docs/architecture.md §3)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from training.splits import monthly_as_of_dates

if TYPE_CHECKING:
    from features.spec import FeatureSpec

# Indicators look back up to a year; the first as-of dates of a warehouse would see too little history.
WARM_UP_MONTHS = 6


def read_matrix(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, parse_dates=["as_of"])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame


def snapshot_hash(frame: pd.DataFrame) -> str:
    """A content hash of a feature matrix (the run's data snapshot): the same rows and columns give the same
    hash whatever their order; any changed value, column or dtype changes it."""
    columns = sorted(frame.columns)
    digest = hashlib.sha256()
    for c in columns:
        digest.update(f"{c}:{frame[c].dtype};".encode())
    # one 64-bit hash per row over the columns in a fixed order; sorting them drops the row order
    rows = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    digest.update(np.sort(rows).tobytes())
    return "sha256:" + digest.hexdigest()


def warehouse_window(warehouse: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(earliest registry snapshot, latest record) in the warehouse: the span the matrix can cover."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        first, last = con.execute(
            "SELECT min(snapshot_date), max(recorded_at) FROM children_registry"
        ).fetchone()
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table in ("visit_logs", "school_attendance", "incidents"):
            if table in tables:
                (latest,) = con.execute(f'SELECT max(recorded_at) FROM "{table}"').fetchone()
                if latest is not None and (last is None or latest > last):
                    last = latest
    finally:
        con.close()
    if first is None or last is None:
        raise ValueError(f"{warehouse} holds no children_registry rows: ingest feeds first")
    return pd.Timestamp(first), pd.Timestamp(last)


def default_dates(warehouse: Path, start: str | None, end: str | None) -> list[pd.Timestamp]:
    """Monthly as-of dates between `start` and `end`, defaulting to the warehouse's span after a warm-up."""
    first, last = warehouse_window(warehouse)
    begin = pd.Timestamp(start) if start else first + pd.DateOffset(months=WARM_UP_MONTHS)
    stop = pd.Timestamp(end) if end else last
    dates = monthly_as_of_dates(begin, stop)
    if not dates:
        raise ValueError(f"no month start between {begin:%Y-%m-%d} and {stop:%Y-%m-%d}")
    return dates


def build(
    warehouse: Path,
    dates: list[pd.Timestamp],
    horizon_days: int,
    truth_dir: Path | None,
    *,
    spec: FeatureSpec | None = None,
    pseudonym_secret: str | None = None,
) -> pd.DataFrame:
    from features.pipeline import build_matrix

    return build_matrix(
        warehouse,
        dates,
        horizon_days=horizon_days,
        truth_dir=truth_dir,
        spec=spec,
        pseudonym_secret=pseudonym_secret,
    )
