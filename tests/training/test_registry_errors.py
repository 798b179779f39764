"""A registry that cannot be read is never taken for "no champion yet": only a registered model without a
champion alias makes a first model champion without gates. Any other registry failure stops the command with
one line saying what failed, and no alias moves. The fault is real: the store's alias table is unreadable
(renamed away), as a damaged or half-migrated registry database would be."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from features.spec import DEFAULT_SPEC, load_spec
from shouhu.cli import app
from tests.serving import factories as serving_factories
from training import registry
from training.tracking import RegistryError, log_run

NAME = "shouhu-risk"


@contextmanager
def aliases_unreadable(db: Path) -> Iterator[None]:
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE registered_model_aliases RENAME TO registered_model_aliases_away")
    con.commit()
    try:
        yield
    finally:
        con.execute("ALTER TABLE registered_model_aliases_away RENAME TO registered_model_aliases")
        con.commit()
        con.close()


def test_training_against_an_unreadable_registry_registers_nothing_and_leaves_the_champion(
    trained, tmp_path: Path
) -> None:
    db = tmp_path / "mlflow.db"
    uri = f"sqlite:///{db}"
    champion = serving_factories.register_champion(uri, tmp_path, seed=0)
    with aliases_unreadable(db), pytest.raises(RegistryError) as refused:
        log_run(
            trained,
            load_spec(),
            DEFAULT_SPEC,
            tracking_uri=uri,
            artifact_root=tmp_path / "mlruns",
            model_name=NAME,
            horizon_days=90,
            k=10,
        )
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"cannot read the aliases of {NAME}")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert [str(v.version) for v in client.search_model_versions(f"name = '{NAME}'")] == [champion]
    assert registry.champion_version(uri, NAME) == champion  # readable again: nothing moved


def test_promotion_against_an_unreadable_registry_fails_in_one_line_and_moves_no_alias(
    tmp_path: Path, shouhu_env: Path
) -> None:
    uri = f"sqlite:///{shouhu_env / 'mlruns' / 'mlflow.db'}"
    first = serving_factories.register_champion(uri, shouhu_env, seed=0)
    second = serving_factories.register_champion(uri, shouhu_env, seed=1, alias="challenger")
    with aliases_unreadable(shouhu_env / "mlruns" / "mlflow.db"):
        with pytest.raises(RegistryError):
            registry.champion_version(uri, NAME)  # never "None", which would read as "no champion"
        with pytest.raises(RegistryError):
            registry.promote(second, tracking_uri=uri, model_name=NAME)
        result = CliRunner().invoke(app, ["promote", "--version", second])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"shouhu promote: cannot read the aliases of {NAME}")
    assert registry.champion_version(uri, NAME) == first
