"""A newcomer's mistakes get one line naming the problem and the fix, never a traceback: every subcommand is
run against a missing warehouse, a missing model and a wrong path, in an empty folder. `shouhu --version`
says which code and which contracts are running."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from shouhu.cli import app
from shouhu.errors import explain
from shouhu.settings import get_settings

DAY = "2024-06-01"
# (case, arguments, extra environment); {tmp} is the empty folder, {file} a plain file, {matrix} a tiny
# feature matrix with no model to score it
SWEEP: list[tuple[str, list[str], dict[str, str]]] = [
    ("simulate into a path under a file", ["simulate", "--out", "{file}/sim", "--children", "10"], {}),
    ("ingest a folder that does not exist", ["ingest", "{tmp}/nowhere"], {}),
    ("contracts-doc under a file", ["contracts-doc", "--out", "{file}/c.md"], {}),
    ("settings-doc on a missing README", ["settings-doc", "--readme", "{tmp}/nowhere.md"], {}),
    ("features without a warehouse", ["features", "--as-of", DAY, "--out", "{tmp}/f.parquet"], {}),
    (
        "features with a missing truth folder",
        ["features", "--as-of", DAY, "--out", "{tmp}/f.parquet", "--truth", "{tmp}/nowhere"],
        {},
    ),
    ("train without a warehouse", ["train"], {}),
    ("train with a missing truth folder", ["train", "--truth", "{tmp}/nowhere"], {}),
    ("train with a missing matrix", ["train", "--matrix", "{tmp}/nowhere.parquet"], {}),
    ("train with an unknown label scheme", ["train", "--label-scheme", "truth"], {}),
    ("retrain without a warehouse", ["retrain"], {}),
    ("retrain with a missing feeds folder", ["retrain", "--feeds", "{tmp}/nowhere"], {}),
    ("promote without a model", ["promote"], {}),
    ("rollback without a model", ["rollback"], {}),
    ("score without a warehouse", ["score", "--as-of", DAY, "--out", "{tmp}/s.parquet"], {}),
    ("score without a model", ["score", "--as-of", DAY, "--out", "{tmp}/s.csv", "--matrix", "{matrix}"], {}),
    (
        "score the listed only on Spark without a matrix",
        ["score", "--as-of", DAY, "--out", "{tmp}/s.parquet", "--spark", "--explain-listed"],
        {},
    ),
    ("audit a missing file", ["audit", "--scores", "{tmp}/no.csv", "--label", "y", "--group", "g"], {}),
    ("serve on a database path under a file", ["serve"], {"SHOUHU_DATABASE_URL": "sqlite:///{file}/x.db"}),
    ("demo over a warehouse it did not make", ["demo", "--no-serve"], {"SHOUHU_WAREHOUSE": "{file}"}),
    (
        "db upgrade on a database path under a file",
        ["db", "upgrade"],
        {"SHOUHU_DATABASE_URL": "sqlite:///{file}/x.db"},
    ),
    ("users list before the schema", ["users", "list"], {}),
    (
        "users add before the schema",
        ["users", "add", "--username", "wang", "--role", "admin", "--password-stdin"],
        {},
    ),
    ("users disable before the schema", ["users", "disable", "wang"], {}),
    ("users reset-password before the schema", ["users", "reset-password", "wang", "--password-stdin"], {}),
    ("users sign-out before the schema", ["users", "sign-out", "wang"], {}),
    ("monitor without a warehouse", ["monitor", "--as-of", DAY], {}),
    ("schedule with a missing feeds folder", ["schedule", "--feeds", "{tmp}/nowhere"], {}),
    ("evaluate-policy with an unknown policy", ["evaluate-policy", "--policies", "nowhere"], {}),
]


def command_paths(group: object, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every runnable command of the app, as `users add`."""
    out: set[str] = set()
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None):
            out |= command_paths(command, (*prefix, name))
        else:
            out.add(" ".join((*prefix, name)))
    return out


def test_the_sweep_runs_every_subcommand() -> None:
    commands = command_paths(typer.main.get_command(app))
    swept = {" ".join(args[:2]) if " ".join(args[:2]) in commands else args[0] for _, args, _ in SWEEP}
    missing = commands - swept
    assert missing == set(), f"add a case to SWEEP for each new command: {sorted(missing)}"


@pytest.fixture
def empty_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env, and relative defaults land here
    for name in [n for n in os.environ if n.startswith("SHOUHU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOUHU_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    monkeypatch.setenv("SHOUHU_MLFLOW_ARTIFACT_ROOT", str(tmp_path / "mlruns"))
    monkeypatch.setenv("SHOUHU_ALLOW_DEV_SECRETS", "1")
    (tmp_path / "mlruns").mkdir()
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    pd.DataFrame({"child_key": ["k1"], "as_of": [pd.Timestamp(DAY)], "label": [0]}).to_parquet(
        tmp_path / "matrix.parquet"
    )
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.parametrize(("case", "args", "env"), SWEEP, ids=[case for case, _, _ in SWEEP])
def test_a_mistake_is_reported_in_one_line_without_a_traceback(
    empty_place: Path, monkeypatch: pytest.MonkeyPatch, case: str, args: list[str], env: dict[str, str]
) -> None:
    fill = {
        "tmp": str(empty_place),
        "file": str(empty_place / "a-file"),
        "matrix": str(empty_place / "matrix.parquet"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(**fill))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, [a.format(**fill) for a in args], input="a-long-password\n")
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit), f"escaped: {result.exception!r}"
    assert "Traceback" not in result.output
    if result.exit_code == 2 and "Usage:" in result.output:
        return  # Typer's usage error (a missing path for an option that must exist): it names the option
    message = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("·")]
    assert len(message) == 1, result.stderr
    # it names the problem (a path, a command to run, a setting) — not a bare exception name
    assert re.search(r"nowhere|no\.csv|a-file|shouhu \w+|SHOUHU_|not found|does not exist", message[0]), (
        message
    )


def test_an_unexpected_exception_is_one_line_that_says_how_to_see_the_traceback() -> None:
    line = explain(KeyError("child_key\nsecond line"))
    assert "\n" not in line and line.startswith("stopped by KeyError") and "--traceback" in line


def test_a_missing_file_names_the_path_and_where_relative_paths_start(tmp_path: Path) -> None:
    line = explain(FileNotFoundError(2, "No such file or directory", "data/x.parquet"))
    assert line.startswith("data/x.parquet not found") and str(Path.cwd()) in line


def test_version_names_the_code_and_the_contracts() -> None:
    from data_contracts.feeds import FEEDS
    from features.spec import DEFAULT_SPEC, load_spec
    from shouhu_core.model_contract import CONTRACT_VERSION

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    first, contracts, feeds = result.output.splitlines()
    assert re.fullmatch(r"shouhu \d+\.\d+\.\d+\S* \(git ([0-9a-f]{7,}|unknown: not a git checkout)\)", first)
    assert f"model output contract {CONTRACT_VERSION}" in contracts
    assert f"indicator spec v1 {load_spec(DEFAULT_SPEC).version}" in contracts
    assert all(f"{name} {feed.version}" in feeds for name, feed in FEEDS.items())
