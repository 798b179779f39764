"""The same indicator definitions on Spark (Ibis' PySpark backend, local) and on DuckDB: one small simulated
county, one SparkSession for the whole run. Needs Java and the `spark` extra (scripts/install.sh)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.ingest import ingest_folder
from features.backend import Backend, open_warehouse
from features.pipeline import build_matrix
from simulation.config import SimulationConfig
from simulation.county import simulate

pytestmark = pytest.mark.spark

DATES = ["2023-09-01", "2024-03-01"]  # one in each term: the post-holiday and streak windows both see data
RTOL = 1e-9  # same arithmetic in float64; only summation order may differ


@pytest.fixture(scope="session")
def spark_master() -> str:
    from features.spark_backend import spark_session

    session = spark_session("local[2]", 1)  # one shuffle partition: the data is tiny, tasks cost
    session.sparkContext.setLogLevel("ERROR")
    return "local[2]"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark_county")
    config = SimulationConfig(
        townships=1, villages=2, children=150, start=date(2023, 1, 1), end=date(2024, 6, 30), seed=3
    )
    simulate(config, root / "sim", progress=False)
    ingest_folder(root / "sim", root / "wh.duckdb", "spark-test-secret-" + "x" * 20, progress=False)
    return root / "wh.duckdb"


@pytest.fixture(scope="module")
def spark_run(county: Path, spark_master: str) -> tuple[pd.DataFrame, list[str]]:
    """The matrix built on Spark, and the physical plan of every step it ran."""
    wh = open_warehouse(county, backend="spark", spark_master=spark_master)
    assert isinstance(wh, Backend)
    try:
        matrix = build_matrix(wh, DATES)
        selects = [s.split(" AS ", 1)[1] for s in wh.recorded if s.startswith("CACHE TABLE")]
        plans = [wh.plan(s) for s in selects]  # type: ignore[attr-defined]
    finally:
        wh.close()
    return matrix, plans


def test_spark_matrix_equals_duckdb_matrix_in_every_column(county: Path, spark_run: tuple) -> None:
    spark_matrix, _ = spark_run
    duck = build_matrix(county, DATES)
    assert len(duck) > 100 and list(spark_matrix.columns) == list(duck.columns)
    assert duck["longest_unexcused_streak_90d"].notna().any()
    assert duck["post_holiday_unexcused_rate_365d"].notna().any()
    pd.testing.assert_frame_equal(spark_matrix, duck, check_exact=False, rtol=RTOL)


def test_no_spark_step_plans_a_cartesian_product_with_the_dates(spark_run: tuple) -> None:
    _, plans = spark_run
    assert plans, "no step was planned"
    cartesian = [p for p in plans if "CartesianProduct" in p]
    assert not cartesian, cartesian[0][:2000]
    # the inequality joins with the as-of dates (streak, post-holiday, windows) are broadcast instead
    assert any("BroadcastNestedLoopJoin" in p for p in plans)
