"""Migrations are an explicit step: `shouhu db upgrade` (or `serve --migrate`, or the demo) applies them; the
service refuses to start on a schema that is not the code's, instead of migrating behind an operator's back.
Autogenerate compares column types too (`compare_type=True`), and finds nothing to add to the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner


def _settings(tmp_path: Path, url: str):
    from shouhu.settings import Settings

    return Settings(
        database_url=url,
        warehouse=tmp_path / "none.duckdb",
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        data_dir=tmp_path / "data",
        token_secret="migrations-test-token-secret-of-32-characters",
        pseudonym_secret="migrations-test-pseudonym-secret-32-characters",
    )


@pytest.mark.db
def test_the_migrations_build_exactly_the_tables_the_code_declares(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from serving.db import make_engine, schema_revision
    from serving.tables import Base

    engine = make_engine(database_url)
    try:
        current, head = schema_revision(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert current == head
    assert differences == []


def test_the_service_refuses_to_start_on_a_database_that_was_not_migrated(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from serving.app import create_app
    from serving.db import SchemaNotCurrent

    app = create_app(_settings(tmp_path, f"sqlite:///{tmp_path / 'service.db'}"))
    with pytest.raises(SchemaNotCurrent, match="shouhu db upgrade"), TestClient(app):
        pass


def test_serve_migrates_at_start_up_only_when_asked(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from serving.app import create_app

    app = create_app(_settings(tmp_path, f"sqlite:///{tmp_path / 'service.db'}"), migrate=True)
    with TestClient(app) as client:
        assert client.get("/api/v1/readyz").json()["database"] == "ok"


def test_db_upgrade_brings_a_new_database_to_the_current_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.db import make_engine, schema_revision
    from shouhu.cli import app
    from shouhu.settings import get_settings

    url = f"sqlite:///{tmp_path / 'service.db'}"
    monkeypatch.setenv("SHOUHU_DATABASE_URL", url)
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["db", "upgrade"])
        again = CliRunner().invoke(app, ["db", "upgrade"])
        refused = CliRunner().invoke(app, ["users", "list"])  # works now: the schema is current
    finally:
        get_settings.cache_clear()
    engine = make_engine(url)
    current, head = schema_revision(engine)
    engine.dispose()
    assert first.exit_code == 0 and f"at revision {head} (was empty)" in first.output
    assert again.exit_code == 0 and "(was" not in again.output
    assert current == head and refused.exit_code == 0


def test_account_commands_ask_for_the_migration_instead_of_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shouhu.cli import app
    from shouhu.settings import get_settings

    monkeypatch.setenv("SHOUHU_DATABASE_URL", f"sqlite:///{tmp_path / 'service.db'}")
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["users", "list"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "shouhu db upgrade" in result.output
