"""The compiled plan of a feature matrix is reused only on a warehouse of the same shape: two warehouse files
opened the same way, one with lineage columns the other lacks, must not share a plan."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from pandas.testing import assert_frame_equal

from data_contracts.feeds import FEEDS
from features.pipeline import build_matrix
from tests.features.scenario import county

DATES = [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]


def _with_lineage_columns(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        for name in FEEDS:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN _source_file VARCHAR')
    finally:
        con.close()
    return path


def test_a_warehouse_without_the_columns_of_the_last_one_gets_its_own_plan(tmp_path: Path) -> None:
    plain = county().build(tmp_path / "plain.duckdb", all_tables=True)
    lineage = _with_lineage_columns(county().build(tmp_path / "lineage.duckdb", all_tables=True))

    first = build_matrix(lineage, DATES)
    second = build_matrix(plain, DATES)  # replaying the first plan here would select a missing column

    assert_frame_equal(second.reset_index(drop=True), first.reset_index(drop=True))
