"""`shouhu ingest` as a user runs it: a summary table, exit codes, and messages instead of tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu.cli import app
from shouhu.settings import get_settings
from tests.data_contracts.factories import BASE, row, write, write_world
from tests.data_contracts.test_ingest_runs import damaged_parquet, query


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHOUHU_PSEUDONYM_SECRET", "cli-secret-of-at-least-thirty-two-characters")
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
    # feed, tables, rows (header + blank + read), header, blank, read, loaded, quarantined, duplicate
    assert [c.strip() for c in line.strip("│ ").split("│")] == [
        "visit_logs",
        "1",
        "3",
        "1",
        "0",
        "2",
        "1",
        "1",
        "0",
    ]
    assert "quarantined" in err


def test_strict_names_each_file_with_quarantined_rows_and_its_most_frequent_rules(tmp_path: Path) -> None:
    write_world(tmp_path / "in", only=BASE)
    visits = [
        row("visit_logs"),
        row("visit_logs", visit_id="V2", mode="飞行"),
        row("visit_logs", visit_id="V3", mode="飞行"),
        row("visit_logs", visit_id="V4", child_id="C404"),
        row("visit_logs", visit_id="V5", child_seen="也许"),
        row("visit_logs", visit_id="V6", hazards="zz"),
    ]
    write(tmp_path / "in", "visit_logs", visits, stem="visit_logs_2024q3")
    write(tmp_path / "in", "school_events", [row("school_events", screening_instrument="XYZ")])
    code, _, err = shouhu(
        "ingest",
        str(tmp_path / "in"),
        "--warehouse",
        str(tmp_path / "wh.duckdb"),
        "--strict",
        "--no-progress",
    )
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("shouhu ingest: --strict and 6 row(s) quarantined")
    assert lines[1:] == [
        "  visit_logs_2024q3.csv: 5 row(s); isin on mode ×2, codes_in on hazards ×1, "
        "coerce_dtype('boolean') on child_seen ×1 and 1 more rule(s)",
        "  school_events.csv: 1 row(s); isin on screening_instrument ×1",
    ]


def test_without_strict_quarantined_rows_do_not_fail_the_run(tmp_path: Path) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(tmp_path / "in", "visit_logs", [row("visit_logs"), row("visit_logs", visit_id="V2", mode="飞行")])
    code, out, err = shouhu(
        "ingest", str(tmp_path / "in"), "--warehouse", str(tmp_path / "wh.duckdb"), "--no-progress"
    )
    assert code == 0 and "quarantined" not in err
    # the bad row went to quarantine and the run went on: the good row of its file and every other feed loaded
    table = {
        cells[0]: cells[1:]
        for cells in ([c.strip() for c in x.strip("│ ").split("│")] for x in out.splitlines() if x[:1] == "│")
    }
    # tables, rows, header, blank | read, loaded, quarantined, duplicate
    assert table["visit_logs"] == ["1", "3", "1", "0", "2", "1", "1", "0"]
    assert table["total"][-4:] == ["7", "6", "1", "0"]
    visits = query(tmp_path / "wh.duckdb", "SELECT visit_id FROM visit_logs")["visit_id"].tolist()
    quarantined = query(tmp_path / "wh.duckdb", "SELECT field, value FROM quarantine").values.tolist()
    assert visits == ["V001"] and quarantined == [["mode", "飞行"]]


def test_an_unreadable_file_fails_the_run_with_its_name_and_problem_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "visit_logs.xlsx").write_bytes(b"\xff\xfe\x00garbage\x81\x82")
    code, out, err = shouhu(
        "ingest", str(tmp_path / "in"), "--warehouse", str(tmp_path / "wh.duckdb"), "--no-progress"
    )
    assert code == 1
    assert "visit_logs.xlsx" in err and "XLSX" in err and "Traceback" not in out + err


def test_a_damaged_parquet_file_fails_the_run_with_its_name_and_problem_not_a_traceback(
    tmp_path: Path,
) -> None:
    write_world(tmp_path / "in", only=BASE)
    damaged_parquet(tmp_path / "in" / "visit_logs.parquet", "truncated")
    code, out, err = shouhu(
        "ingest", str(tmp_path / "in"), "--warehouse", str(tmp_path / "wh.duckdb"), "--no-progress"
    )
    assert code == 1
    assert "visit_logs.parquet" in err and "Parquet" in err and "Traceback" not in out + err
    line = next(x for x in out.splitlines() if "children_registry" in x)
    assert [c.strip() for c in line.strip("│ ").split("│")][5:7] == ["1", "1"]  # the rest still loads
