"""The `shouhu` command as a user meets it first: it answers --help quickly and lists every command."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from shouhu.cli import app

COMMANDS = ["simulate", "ingest", "features", "train", "retrain", "promote", "rollback", "score", "audit",
            "serve", "demo", "users"]


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


def test_importing_the_cli_does_no_heavy_work() -> None:
    # `shouhu --help` must not import the model stack; heavy imports happen inside the commands.
    code = (
        "import sys, shouhu.cli; heavy = [m for m in ('mlflow', 'lightgbm', 'fastapi', 'ibis', 'sklearn') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""


def test_settings_are_read_from_shouhu_environment_variables(monkeypatch, tmp_path) -> None:
    from shouhu.settings import Settings

    monkeypatch.setenv("SHOUHU_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("SHOUHU_VISITS_PER_TOWNSHIP", "12")
    settings = Settings()
    assert settings.warehouse == tmp_path / "w.duckdb"
    assert settings.visits_per_township == 12
