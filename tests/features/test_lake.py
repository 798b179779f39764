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


def test_the_matrix_written_as_as_of_partitions_reads_back_as_the_matrix(tmp_path: Path) -> None:
    from training.stream import matrix_dataset, write_matrix_partitions

    path = county().build(tmp_path / "wh.duckdb")
    folders = write_matrix_partitions(path, [pd.Timestamp(d) for d in DATES], tmp_path / "m")
    assert [f.name for f in folders] == [f"as_of={pd.Timestamp(d):%Y-%m-%d}" for d in sorted(DATES)]
    whole = build_matrix(path, DATES)
    back = matrix_dataset(tmp_path / "m").to_table().to_pandas()
    back = back.sort_values(["as_of", "child_key"]).reset_index(drop=True)[list(whole.columns)]
    assert len(back) == len(whole)
    pd.testing.assert_frame_equal(back, whole, check_dtype=False)
