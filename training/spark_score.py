"""`shouhu score --spark`: the champion scored on Spark through MLflow's `spark_udf`, the matrix read as
Parquet by the executors, the §4 output written back as Parquet. The workers' Python is the project's
(`PYSPARK_PYTHON`, see features.spark_backend.python_for_workers), else they could not load the model's code.
The village ranks follow on the driver from the key columns only (shouhu_core.list_order).

With a `Listing` (`--explain-listed`), as in memory (training.listed): every row is scored unexplained
(`params={"explain": False}`), the driver finds the listed children from the key columns and margins, and a
second pass explains only their rows, whose reasons are joined back; `listed` marks them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from shouhu_core.model_contract import OUTPUT_COLUMNS, REASON_COLUMNS
from training.listed import LIST_KEYS, Listing, listed_rows

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


# the struct spark_udf returns: the model contract's columns with their Spark types
RESULT_TYPE = ", ".join(
    f"{c} {'string' if c in ('band', 'reasons', 'protective_reasons') else 'double'}" for c in OUTPUT_COLUMNS
)


def score_on_spark(
    matrix: Path,
    model_uri: str,
    version: str,
    day: pd.Timestamp,
    out: Path,
    master: str | None = None,
    listing: Listing | None = None,
) -> int:
    """Score the matrix rows of `day` (a Parquet file or as-of partitioned folder) into `out` (one Parquet
    file), explaining every row, or with `listing` only the rows that go on its lists; rows scored."""
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    from features.spark_backend import spark_session
    from training.stream import rank_and_write
    from training.workflow import SCORE_KEEP

    spark = spark_session(master)
    model = mlflow.pyfunc.load_model(model_uri)
    inputs = model.metadata.get_input_schema().input_names()

    def model_output(rows: DataFrame, keep: list[str], explain: bool) -> DataFrame:
        udf = mlflow.pyfunc.spark_udf(
            spark,
            model_uri,
            result_type=RESULT_TYPE,
            env_manager="local",
            params=None if explain else {"explain": False},
        )
        scored = rows.select(*keep, udf(F.struct(*[F.col(c) for c in inputs])).alias("_out"))
        return scored.select(*keep, *[F.col(f"_out.{c}").alias(c) for c in OUTPUT_COLUMNS])

    rows = spark.read.parquet(str(matrix)).where(F.col("as_of") == F.lit(day.to_pydatetime()))
    keep = [c for c in SCORE_KEEP if c in rows.columns]
    scored = model_output(rows, keep, explain=listing is None).withColumn("model_version", F.lit(version))
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=out.parent, prefix=".spark-scores-"))
    try:
        scored.write.mode("overwrite").parquet(str(staged / "scores"))
        n = spark.read.parquet(str(staged / "scores")).count()
        if n and listing is not None:
            _explain_listed(spark, rows, staged, listing, lambda r: model_output(r, ["child_key"], True))
            rank_and_write(staged / "explained", out)
        elif n:
            rank_and_write(staged / "scores", out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return n


def _explain_listed(
    spark: SparkSession,
    rows: DataFrame,
    staged: Path,
    listing: Listing,
    explain: Callable[[DataFrame], DataFrame],
) -> None:
    """`staged/scores` with the listed rows' reasons, as `staged/explained` (plus `listed`). The listed are
    found on the driver from the key columns and margins only (a province: ≈ 1M short rows)."""
    from pyspark.sql import functions as F

    files = sorted((staged / "scores").glob("*.parquet"))
    names = pq.read_schema(files[0]).names
    wanted = [c for c in (*LIST_KEYS, "rule_flags", "margin") if c in names]
    keys = pd.concat([pq.read_table(f, columns=wanted).to_pandas() for f in files], ignore_index=True)
    mask = listed_rows(keys, keys["margin"].to_numpy(dtype="float64"), listing)
    chosen = spark.createDataFrame(
        pd.DataFrame({"child_key": keys.loc[mask, "child_key"].astype(str)}), schema="child_key string"
    )
    reasons = explain(rows.join(F.broadcast(chosen), "child_key", "left_semi")).select(
        "child_key", *REASON_COLUMNS
    )
    scores = spark.read.parquet(str(staged / "scores"))
    merged = (
        scores.drop(*REASON_COLUMNS)
        .join(reasons.withColumn("listed", F.lit(True)), "child_key", "left")
        .fillna({"listed": False})
        .select(*scores.columns, "listed")
    )
    merged.write.mode("overwrite").parquet(str(staged / "explained"))
