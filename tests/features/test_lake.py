"""The Parquet lake (feed/month partitions) holds what the features read: DuckDB on the lake gives the matrix
it gives on the warehouse file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_contracts.lake import MARKER, write_lake
from features.pipeline import build_matrix
from tests.features.scenario import DATES, county


def test_the_matrix_from_the_parquet_lake_equals_the_matrix_from_the_warehouse_file(tmp_path: Path) -> None:
    path = county().build(tmp_path / "wh.duckdb")
    lake = tmp_path / "lake"
    rows = write_lake(path, lake)
    assert rows["school_attendance"] > 0 and (lake / MARKER).exists()
    months = [p.name for p in (lake / "school_attendance").iterdir()]
    assert len(months) > 1 and all(m.startswith("month=") for m in months)
    # lineage columns (they name source files) stay in the DuckDB file
    assert "_source_file" not in pd.read_parquet(lake / "school_attendance").columns
    pd.testing.assert_frame_equal(build_matrix(lake, DATES), build_matrix(path, DATES))
