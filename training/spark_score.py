"""`shouhu score --spark`: the champion scored on Spark through MLflow's `spark_udf`, the matrix read as
Parquet by the executors, the §4 output written back as Parquet. The workers' Python is the project's
(`PYSPARK_PYTHON`, see features.spark_backend.python_for_workers), else they could not load the model's code.
The village ranks follow on the driver from the key columns only (shouhu_core.list_order)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from shouhu_core.model_contract import OUTPUT_COLUMNS

# the struct spark_udf returns: the model contract's columns with their Spark types
RESULT_TYPE = ", ".join(
    f"{c} {'string' if c in ('band', 'reasons', 'protective_reasons') else 'double'}" for c in OUTPUT_COLUMNS
)


def score_on_spark(
    matrix: Path, model_uri: str, version: str, day: pd.Timestamp, out: Path, master: str | None = None
) -> int:
    """Score the matrix rows of `day` (a Parquet file or as-of partitioned folder) into `out` (one Parquet
    file); rows scored."""
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    from features.spark_backend import spark_session
    from training.stream import rank_and_write
    from training.workflow import SCORE_KEEP

    spark = spark_session(master)
    model = mlflow.pyfunc.load_model(model_uri)
    inputs = model.metadata.get_input_schema().input_names()
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=RESULT_TYPE, env_manager="local")
    rows = spark.read.parquet(str(matrix)).where(F.col("as_of") == F.lit(day.to_pydatetime()))
    keep = [c for c in SCORE_KEEP if c in rows.columns]
    scored = rows.select(*keep, udf(F.struct(*[F.col(c) for c in inputs])).alias("_out"))
    scored = scored.select(*keep, *[F.col(f"_out.{c}").alias(c) for c in OUTPUT_COLUMNS])
    scored = scored.withColumn("model_version", F.lit(version))
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=out.parent, prefix=".spark-scores-"))
    try:
        scored.write.mode("overwrite").parquet(str(staged / "scores"))
        n = spark.read.parquet(str(staged / "scores")).count()
        if n:
            rank_and_write(staged / "scores", out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return n
