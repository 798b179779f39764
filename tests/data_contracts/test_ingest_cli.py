"""`shouhu ingest` as a user runs it: a summary table, exit codes, and messages instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu.cli import app
from shouhu.settings import get_settings
from tests.data_contracts.factories import BASE, row, write, write_world


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHU_PSEUDONYM_SECRET", "cli-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def shouhu(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_ingest_prints_a_per_feed_summary_and_strict_fails_on_quarantined_rows(tmp_path: Path) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(tmp_path / "in", "visit_logs", [row("visit_logs"), row("visit_logs", visit_id="V2", mode="飞行")])
    code, out, err = shouhu(
        "ingest",
        str(tmp_path / "in"),
        "--warehouse",
        str(tmp_path / "wh.duckdb"),
        "--strict",
        "--no-progress",
    )
    assert code == 1
    line = next(x for x in out.splitlines() if "visit_logs" in x)
    assert [c.strip() for c in line.strip("│ ").split("│")] == ["visit_logs", "1", "2", "1", "1", "0"]
    assert "quarantined" in err


def test_without_strict_quarantined_rows_do_not_fail_the_run(tmp_path: Path) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(tmp_path / "in", "visit_logs", [row("visit_logs", mode="飞行")])
    code, _, _ = shouhu(
        "ingest", str(tmp_path / "in"), "--warehouse", str(tmp_path / "wh.duckdb"), "--no-progress"
    )
    assert code == 0


def test_an_unreadable_file_fails_the_run_with_its_name_and_problem_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "visit_logs.xlsx").write_bytes(b"\xff\xfe\x00garbage\x81\x82")
    code, out, err = shouhu(
        "ingest", str(tmp_path / "in"), "--warehouse", str(tmp_path / "wh.duckdb"), "--no-progress"
    )
    assert code == 1
    assert "visit_logs.xlsx" in err and "XLSX" in err and "Traceback" not in out + err
