"""`shouhu score --spark`: the champion scored on Spark through MLflow's spark_udf gives the scores, reasons
and village ranks of scoring in memory, explaining everyone or only the listed. Needs Java and the `spark`
extra (scripts/install.sh)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.spec import DEFAULT_SPEC, load_spec
from training.pipeline import TrainResult
from training.tracking import RunOutcome, log_run

pytestmark = pytest.mark.spark


def _logged(trained: TrainResult, tmp_path: Path) -> RunOutcome:
    """The trained model logged to an MLflow store of its own (what spark_udf loads)."""
    return log_run(
        trained,
        load_spec(),
        DEFAULT_SPEC,
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=tmp_path / "mlruns",
        model_name="shouhu-risk",
        horizon_days=90,
        k=10,
    )


def test_scoring_on_spark_gives_the_scores_of_in_memory_scoring(trained, county, tmp_path: Path) -> None:
    import mlflow.pyfunc

    from training.spark_score import score_on_spark
    from training.workflow import score

    run = _logged(trained, tmp_path)
    day = county["as_of"].max()
    rows = county[county["as_of"] == day].head(300).reset_index(drop=True)
    rows.to_parquet(tmp_path / "matrix.parquet", index=False)
    expected = score(rows, mlflow.pyfunc.load_model(run.model_uri), "3").sort_values("child_key")
    out = tmp_path / "scores.parquet"
    n = score_on_spark(tmp_path / "matrix.parquet", run.model_uri, "3", day, out, master="local[2]")
    got = pd.read_parquet(out).sort_values("child_key")
    assert n == len(rows) == len(got)
    np.testing.assert_allclose(got["probability"], expected["probability"], rtol=1e-12)
    np.testing.assert_allclose(got["percentile"], expected["percentile"], rtol=1e-12)
    assert got["band"].tolist() == expected["band"].astype(str).tolist()
    assert got["reasons"].tolist() == expected["reasons"].tolist()
    assert got["rank_in_village"].tolist() == expected["rank_in_village"].tolist()


def test_explaining_only_the_listed_on_spark_gives_the_reasons_and_list_of_in_memory_scoring(
    trained, county, tmp_path: Path
) -> None:
    import mlflow.pyfunc

    from training.listed import Listing
    from training.spark_score import score_on_spark
    from training.workflow import score

    run = _logged(trained, tmp_path)
    day = county["as_of"].max()
    rows = county[county["as_of"] == day].head(300).reset_index(drop=True)
    rows.to_parquet(tmp_path / "matrix.parquet", index=False)
    listing = Listing("township", 5)
    model = mlflow.pyfunc.load_model(run.model_uri)
    expected = score(rows, model, "3", listing=listing).sort_values("child_key").reset_index(drop=True)
    out = tmp_path / "scores.parquet"
    n = score_on_spark(tmp_path / "matrix.parquet", run.model_uri, "3", day, out, "local[2]", listing)
    got = pd.read_parquet(out).sort_values("child_key").reset_index(drop=True)
    assert n == len(rows) == len(got)
    assert 0 < got["listed"].sum() < len(got)
    assert got["listed"].tolist() == expected["listed"].tolist()
    np.testing.assert_allclose(got["probability"], expected["probability"], rtol=1e-12)
    listed = got["listed"].to_numpy()
    assert got.loc[listed, "reasons"].tolist() == expected.loc[listed, "reasons"].tolist()
    assert got.loc[~listed, "reasons"].isna().all()
    assert got["rank_in_village"].tolist() == expected["rank_in_village"].tolist()
