"""The test factories leave nothing behind in the repository: the registered test models' runs and
artifacts live in the tmp MLflow store, never in MLflow's default ./mlruns/0."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from mlflow import MlflowClient


def test_the_registered_test_champion_keeps_its_run_and_artifacts_in_the_tmp_store(mlflow_store) -> None:
    uri, folder = mlflow_store
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    champion = client.get_model_version_by_alias("shouhu-risk", "champion")
    run = client.get_run(champion.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name != "Default"
    for location in (experiment.artifact_location, run.info.artifact_uri):
        assert Path(urlparse(location).path).is_relative_to(folder.resolve()), location
    stored = list(Path(urlparse(experiment.artifact_location).path).rglob("MLmodel"))
    assert stored, "the model's files should be in the tmp artifact folder"
