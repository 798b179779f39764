"""A file that cannot be read is reported with a one-line reason; the run goes on with the other files and
its record is always written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from data_contracts.feeds import FEEDS
from data_contracts.ingest import IngestReport
from data_contracts.warehouse import connect
from shouhu.cli import app
from shouhu.settings import get_settings
from tests.data_contracts.factories import BASE, row, rows, write, write_world

Ingest = Callable[..., IngestReport]


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = connect(warehouse)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_duplicated_column_is_reported_and_the_next_file_in_the_same_run_still_loads(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    twice = pd.DataFrame([row("visit_logs", visit_id="V1")]).fillna("")
    twice["走访日期"] = twice["visit_date"]  # visit_date given again under its Chinese title
    twice.to_csv(folder / "visit_logs_a.csv", index=False)
    write(folder, "visit_logs", [row("visit_logs", visit_id="V2")], stem="visit_logs_b")
    write(folder, "cases", [row("cases")])

    report = run_ingest(folder)
    errors = {f.path.name: f.error for f in report.errors}
    column = list(twice.columns).index("visit_date") + 1
    last = len(twice.columns)
    assert errors == {
        "visit_logs_a.csv": f"column {column} 「visit_date」 and column {last} 「走访日期」 "
        "both give visit_date: delete one of them and ingest again"
    }
    assert report.feeds["visit_logs"].loaded == 1 and report.feeds["cases"].loaded == 1
    assert _query(warehouse, "SELECT visit_id FROM visit_logs") == [("V2",)]
    run = _query(warehouse, f"SELECT errors, loaded FROM ingest_runs WHERE run_id = '{report.run_id}'")
    assert run == [(1, report.total.loaded)]
    assert _query(warehouse, "SELECT source_file, feed FROM ingest_errors") == [
        ("visit_logs_a.csv", "visit_logs")
    ]


def test_a_file_holding_another_feeds_table_is_refused_naming_that_feed(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=("admin_units",))
    write(folder, "schools", rows("schools"), stem="visit_logs_2024")  # a schools table under a visits name
    (result,) = run_ingest(folder).errors
    assert result.error == (
        "this is a table of schools (学校), not of visit_logs: "
        "rename the file (or sheet) to start with schools"
    )


def test_a_csv_in_which_no_row_names_a_column_of_its_feed_says_so(tmp_path: Path, run_ingest: Ingest) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "visit_logs.csv").write_text("甲,乙,丙\n1,2,3\n", encoding="utf-8")
    (result,) = run_ingest(folder).errors
    assert (result.error or "").startswith(
        "no header row: none of the first 2 rows names a column of visit_logs"
    )


def test_an_empty_file_and_a_damaged_workbook_are_reported_and_the_run_record_is_written(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "visit_logs.csv").write_bytes(b"")
    (folder / "cases.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    report = run_ingest(folder)
    errors = {f.path.name: f.error for f in report.errors}
    assert errors["visit_logs.csv"] == "the file is empty"
    assert (errors["cases.xlsx"] or "").startswith("not a readable XLSX workbook")
    assert _query(warehouse, "SELECT files, errors, read FROM ingest_runs") == [(0, 2, 0)]


def test_a_reader_error_of_any_kind_stays_with_its_file(
    tmp_path: Path, run_ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import data_contracts.csv_reader as csv_reader

    folder = write_world(tmp_path / "in", only=(*BASE, "cases"))
    write(folder, "visit_logs", [row("visit_logs")])
    real = csv_reader.csv_chunks

    def breaks_on_visits(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if path.name == "visit_logs.csv":
            raise KeyError("a bug in the reader")
        return real(path, *args, **kwargs)

    monkeypatch.setattr("data_contracts.readers.csv_chunks", breaks_on_visits)
    report = run_ingest(folder)
    assert [f.error for f in report.errors] == ["could not be read (KeyError: 'a bug in the reader')"]
    assert report.feeds["cases"].loaded == 1


@pytest.fixture
def _secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHOUHU_PSEUDONYM_SECRET", "cli-secret-of-at-least-thirty-two-characters")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing_folder", "is not a folder; give the folder that holds the feed files"),
        ("missing_mapping", "header mapping"),
        ("bad_mapping_feed", "unknown feed 'visits'; sections are feed names"),
        ("bad_mapping_column", "visit_logs has no column 'visit_day'"),
        ("bad_mapping_yaml", "not valid YAML"),
        ("mapping_conflict", "is given to both"),
        ("locked_warehouse", "stop what holds it open"),
    ],
)
def test_every_ingest_error_is_one_line_naming_the_problem_and_the_fix(
    _secret: None, tmp_path: Path, setup: str, expected: str
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    warehouse = tmp_path / "wh.duckdb"
    args = [str(folder), "--warehouse", str(warehouse), "--no-progress"]
    mapping = tmp_path / "county.yaml"
    holder = None
    if setup == "missing_folder":
        args[0] = str(tmp_path / "nowhere")
    elif setup == "missing_mapping":
        args += ["--headers", str(mapping)]
    else:
        text = {
            "bad_mapping_feed": "visits:\n  columns:\n    visit_date: 家访时间\n",
            "bad_mapping_column": "visit_logs:\n  columns:\n    visit_day: 家访时间\n",
            "bad_mapping_yaml": "visit_logs:\n  columns: [\n",
            "mapping_conflict": "visit_logs:\n  columns:\n    visit_date: 时间\n    recorded_at: 时间\n",
            "locked_warehouse": "",
        }[setup]
        mapping.write_text(text, encoding="utf-8")
        args += ["--headers", str(mapping)]
    if setup == "locked_warehouse":  # another process holds the warehouse open for writing (shouhu serve)
        code = (
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)"
        )
        holder = subprocess.Popen(
            [sys.executable, "-c", code, str(warehouse)], stdout=subprocess.PIPE, text=True
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    try:
        result = CliRunner().invoke(app, ["ingest", *args], env={"COLUMNS": "200"})
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    err = result.stderr
    assert err.startswith("shouhu ingest: ") and err.count("\n") == 1 and "Traceback" not in err
    assert expected in err, err


def test_every_feed_has_the_same_header_rules_for_parquet(tmp_path: Path, run_ingest: Ingest) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    titles = {n: c.title for n, c in FEEDS["visit_logs"].schema.columns.items()}
    frame = pd.DataFrame([row("visit_logs")]).fillna("").rename(columns=titles)
    frame["走访人姓名"] = "某某"
    frame.to_parquet(folder / "visit_logs.parquet")
    report = run_ingest(folder)
    (result,) = [f for f in report.files if f.feed == "visit_logs"]
    assert result.counts.loaded == 1 and result.not_loaded_columns == ["走访人姓名"]
