"""The `shouhu` command as a user meets it first: it answers --help quickly and lists every command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu.cli import app

COMMANDS = [
    "simulate",
    "ingest",
    "features",
    "train",
    "retrain",
    "promote",
    "rollback",
    "score",
    "audit",
    "serve",
    "demo",
    "db",
    "users",
]


def listed_commands(help_text: str) -> set[str]:
    """The command names in the Commands panel of `--help`: the first word of each entry (not of a wrapped
    description line), so `train` is not found inside `retrain`."""
    panel = help_text.split("─ Commands ", 1)[1].split("╰", 1)[0]
    return {m.group(1) for m in re.finditer(r"^│ (\S+)\s{2,}", panel, flags=re.MULTILINE)}


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert set(COMMANDS) <= listed_commands(result.output)


def test_a_command_is_listed_by_its_whole_name_not_found_inside_another() -> None:
    help_text = "╭─ Commands ─╮\n│ retrain   The monthly job.  │\n│           train again later │\n╰──╯"
    assert listed_commands(help_text) == {"retrain"}


def test_importing_the_cli_does_no_heavy_work() -> None:
    # `shouhu --help` must not import the model stack; heavy imports happen inside the commands.
    code = (
        "import sys, shouhu.cli; heavy = [m for m in ('mlflow', 'lightgbm', 'fastapi', 'ibis', 'sklearn') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""


def test_settings_are_read_from_shouhu_environment_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shouhu.settings import Settings

    monkeypatch.setenv("SHOUHU_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("SHOUHU_VISITS_PER_TOWNSHIP", "12")
    settings = Settings()
    assert settings.warehouse == tmp_path / "w.duckdb"
    assert settings.visits_per_township == 12


def test_local_files_follow_the_data_dir_unless_set_on_their_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shouhu.settings import Settings

    for name in ("SHOUHU_WAREHOUSE", "SHOUHU_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "county"))
    moved = Settings()
    assert moved.warehouse == tmp_path / "county" / "warehouse.duckdb"
    assert moved.database_url == f"sqlite:///{tmp_path / 'county' / 'shouhu.db'}"
    monkeypatch.setenv("SHOUHU_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    assert Settings().warehouse == tmp_path / "elsewhere.duckdb"
