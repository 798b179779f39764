"""A training run on a small simulated county judges the model against the tier rule read from the warehouse
records (features.tier_rule), says so in the MLflow run, and falls back to the matrix approximation when it
is given only a matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.mark.slow
def test_a_run_on_the_warehouse_logs_the_warehouse_computed_tier_baseline(ingested_county: Path) -> None:
    from mlflow import MlflowClient

    from features.tier_rule import DAYS_COLUMN, TIER_COLUMN, tier_table
    from shouhu.settings import get_settings
    from training import baselines, workflow
    from training.pipeline import TrainConfig

    settings = get_settings()
    frame = workflow.load_matrix(settings)
    # every cohort row carries the tier the warehouse records give, and it is not a model input
    assert frame[TIER_COLUMN].notna().all()
    dates = sorted(frame["as_of"].unique())
    again = tier_table(settings.warehouse, dates[-2:])
    latest = frame[frame["as_of"].isin(dates[-2:])].merge(
        again, on=["child_key", "as_of"], suffixes=("", "_")
    )
    assert len(latest) == (frame["as_of"].isin(dates[-2:])).sum()
    assert (latest[TIER_COLUMN] == latest[f"{TIER_COLUMN}_"]).all()
    # the warehouse rule differs from the approximation somewhere (else this test could not tell them apart)
    assert (baselines.baseline_tier(frame) != baselines.tier(frame)).any()

    small = TrainConfig(k=10, n_folds=1, with_logreg=False, with_ceiling=False)
    trained = workflow.train(frame, settings, config=small)
    test = trained.result.test
    assert np.array_equal(trained.result.test_scores["tier_rule"], baselines.tier_rule_score(test))
    ranked_by_warehouse = (3 - test[TIER_COLUMN].to_numpy()) * baselines.TIER_POINTS
    assert (trained.result.test_scores["tier_rule"] >= ranked_by_warehouse).all()
    assert (trained.result.test_scores["tier_rule"] < ranked_by_warehouse + baselines.TIER_POINTS).all()

    client = MlflowClient(settings.mlflow_tracking_uri)
    run = client.get_run(trained.run.run_id)
    assert run.data.params["tier_rule_source"] == "warehouse"
    logged = run.data.metrics["tier_rule_precision_at_k"]
    assert logged == pytest.approx(trained.result.metrics["tier_rule"]["precision_at_k"])

    # the same matrix without the warehouse's columns, as a matrix file gives it: the approximation, said so
    matrix_only = frame.drop(columns=[TIER_COLUMN, DAYS_COLUMN])
    fallback = workflow.train(matrix_only, settings, config=small)
    assert client.get_run(fallback.run.run_id).data.params["tier_rule_source"] == "matrix"
    assert fallback.result.data_snapshot == trained.result.data_snapshot  # the same features either way

    # and the model card says which the baseline was computed from
    def card(result) -> str:  # type: ignore[no-untyped-def]
        from training.report import model_card

        return model_card(
            result, spec_version="v", spec_hash="h", git_sha="g", k=10, horizon_days=90, model_name="m"
        )

    assert "from the warehouse's records" in card(trained.result)
    assert "an approximation: no warehouse was given" in card(fallback.result)


def test_a_matrix_file_gets_the_warehouse_tiers_only_when_the_warehouse_holds_its_children(
    shouhu_env: Path,
) -> None:
    import pandas as pd

    from features.tier_rule import TIER_COLUMN
    from shouhu.settings import get_settings
    from tests.features.factories import WarehouseFactory, ck, incident_row, registry_row
    from training import baselines, workflow

    settings = get_settings()
    settings.ensure_dirs()
    factory = WarehouseFactory().add("children_registry", registry_row(1), registry_row(2))
    factory.add("incidents", incident_row(1, "2024-05-20"))
    factory.build(settings.warehouse)
    as_of = pd.Timestamp("2024-06-01")
    # the matrix says nothing of the incident (as a 365-day count would): only the warehouse makes child 1 red
    matrix = pd.DataFrame({"child_key": [ck(1), ck(2)], "as_of": [as_of, as_of], "prior_incidents_365d": 0.0})
    path = shouhu_env / "matrix.parquet"
    matrix.to_parquet(path)
    frame = workflow.load_matrix(settings, path)
    assert baselines.tier_rule_source(frame) == "warehouse"
    assert baselines.baseline_tier(frame).tolist() == [0, 2]  # red; the registry's 监护情况评估 一般

    stranger = pd.concat([matrix, matrix.assign(child_key=ck(3)).iloc[:1]], ignore_index=True)
    stranger.to_parquet(path)
    frame = workflow.load_matrix(settings, path)
    assert TIER_COLUMN not in frame and baselines.tier_rule_source(frame) == "matrix"
