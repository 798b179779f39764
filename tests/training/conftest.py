"""Fixtures of the training room: the synthetic matrix factory and a throwaway MLflow store per test module.

`factories.py` is loaded under a room-specific module name, so it cannot clash with another room's."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _load_factories() -> ModuleType:
    name = "training_test_factories"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("factories.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def factories() -> ModuleType:
    return _load_factories()


@pytest.fixture(scope="session")
def county(factories: ModuleType):
    """600 children × 20 monthly as-of dates in 3 townships, with a known signal."""
    return factories.make_matrix()


@pytest.fixture
def shouhu_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointing at a temporary MLflow store and data folder (what the CLI reads), laid out as by
    default: the tracking database inside the artifact folder, so one scan of `mlruns/` covers both."""
    from shouhu.settings import get_settings

    (tmp_path / "mlruns").mkdir()
    monkeypatch.setenv("SHOUHU_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    monkeypatch.setenv("SHOUHU_MLFLOW_ARTIFACT_ROOT", str(tmp_path / "mlruns"))
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOUHU_WAREHOUSE", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.setenv("SHOUHU_VISITS_PER_TOWNSHIP", "10")
    # retrain ingests, so it needs a pseudonym secret fit for real data
    monkeypatch.setenv("SHOUHU_PSEUDONYM_SECRET", "training-test-secret-of-at-least-32-chars")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def trained(county):
    """One model trained on `county` (no MLflow), shared by the behavioural tests."""
    from features.spec import load_spec
    from training.pipeline import TrainConfig, train_and_evaluate

    return train_and_evaluate(county, load_spec(), TrainConfig(k=10, n_folds=2, min_positives=5))


@pytest.fixture(scope="session")
def champion(trained, tmp_path_factory):
    """The session's trained model, logged by the real `log_run` and loaded as MLflow serves it."""
    import mlflow.pyfunc

    from features.spec import DEFAULT_SPEC, load_spec
    from training.tracking import log_run

    folder = tmp_path_factory.mktemp("stream_model")
    run = log_run(
        trained,
        load_spec(),
        DEFAULT_SPEC,
        tracking_uri=f"sqlite:///{folder / 'mlflow.db'}",
        artifact_root=folder / "mlruns",
        model_name="shouhu-risk",
        horizon_days=90,
        k=10,
    )
    return mlflow.pyfunc.load_model(run.model_uri)


@pytest.fixture
def ingested_county(shouhu_env: Path) -> Path:
    """A simulated 600-child, two-year county ingested into the environment's warehouse; its output folder
    (with `truth/`)."""
    from datetime import date

    from data_contracts.ingest import ingest_folder
    from shouhu.settings import get_settings
    from simulation.config import SimulationConfig
    from simulation.county import simulate

    settings = get_settings()
    settings.ensure_dirs()
    sim = shouhu_env / "sim"
    config = SimulationConfig(
        townships=2, villages=3, children=600, start=date(2022, 1, 1), end=date(2023, 12, 31), seed=7
    )
    simulate(config, sim, progress=False)
    ingest_folder(
        sim / "feeds", settings.warehouse, settings.pseudonym_secret.get_secret_value(), progress=False
    )
    return sim
