"""One bad line loses one line: a line that does not split into the header's columns is quarantined as
`malformed_line` with its row number, its text is kept only in the restricted table, every other line loads,
and every file's rows add up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.ingest import IngestReport
from data_contracts.warehouse import connect
from tests.data_contracts.factories import BASE, GRANDPA_NAME, row, write_world

Ingest = Callable[..., IngestReport]


def _lines(n: int) -> tuple[str, list[str]]:
    """The header line and `n` good visit lines (V1..Vn), as a CSV writer makes them."""
    text = (
        pd.DataFrame([row("visit_logs", visit_id=f"V{i}") for i in range(1, n + 1)])
        .fillna("")
        .to_csv(index=False)
    )
    header, *lines = text.splitlines()
    return header, lines


def _write(
    folder: Path, header: str, lines: list[str], name: str = "visit_logs.csv", end: str = "\n"
) -> Path:
    path = folder / name
    path.write_text(header + end + end.join(lines) + end, encoding="utf-8")
    return path


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = connect(warehouse)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _counts(report: IngestReport) -> tuple[int, ...]:
    (result,) = [f for f in report.files if f.feed == "visit_logs"]
    c = result.counts
    return c.rows, c.header, c.blank, c.read, c.loaded, c.quarantined, c.duplicate


def test_a_line_with_an_extra_comma_among_good_lines_loses_only_that_line(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(5)
    lines[2] = lines[2].replace("routine", "routine,extra", 1)  # V3: one field too many
    _write(folder, header, lines)
    report = run_ingest(folder)
    assert _counts(report) == (6, 1, 0, 5, 4, 1, 0)
    fields = header.count(",") + 1
    assert _query(warehouse, "SELECT row_number, field, rule, value FROM quarantine") == [
        (3, "", "malformed_line", f"{fields + 1} fields where the header has {fields}")
    ]
    assert _query(warehouse, "SELECT row_number, raw_text FROM identity_raw_lines") == [(3, lines[2])]
    assert [r[0] for r in _query(warehouse, "SELECT visit_id FROM visit_logs ORDER BY 1")] == [
        "V1",
        "V2",
        "V4",
        "V5",
    ]


def test_an_unbalanced_quote_loses_only_its_line_and_the_lines_after_it_load(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(6)
    lines[1] = lines[1].replace("routine", '"routine', 1)  # V2: a quote opened, never closed
    _write(folder, header, lines, end="\r\n")
    report = run_ingest(folder)
    assert _counts(report) == (7, 1, 0, 6, 5, 1, 0)
    assert _query(warehouse, "SELECT row_number, value FROM quarantine") == [(2, "an unbalanced quote")]
    assert len(_query(warehouse, "SELECT * FROM visit_logs")) == 5


def test_an_unbalanced_quote_on_the_last_line_loses_only_that_line(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(3)
    lines[2] = lines[2].replace("routine", '"routine', 1)
    _write(folder, header, lines)
    assert _counts(run_ingest(folder)) == (4, 1, 0, 3, 2, 1, 0)


def test_a_stray_nul_loses_only_its_line(tmp_path: Path, run_ingest: Ingest, warehouse: Path) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(4)
    lines[3] = lines[3].replace("routine", "rout\x00ine", 1)
    _write(folder, header, lines)
    assert _counts(run_ingest(folder)) == (5, 1, 0, 4, 3, 1, 0)
    assert _query(warehouse, "SELECT row_number, value FROM quarantine") == [
        (4, "a NUL character in the line")
    ]


def test_a_truncated_last_line_is_quarantined_and_the_lines_before_it_load(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(3)
    path = _write(folder, header, lines)
    path.write_bytes(path.read_bytes()[:-40])  # the copy was cut off in the middle of the last line
    assert _counts(run_ingest(folder)) == (4, 1, 0, 3, 2, 1, 0)


def test_a_quoted_cell_with_a_line_break_and_commas_is_one_good_row(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(3)
    # an address typed with Alt+Enter in Excel, in a column the contract leaves out
    _write(
        folder, header + ",家庭住址", [lines[0] + ',"某村,1组\n老屋"', lines[1] + ",", lines[2] + ',"2组"']
    )
    report = run_ingest(folder)
    assert _counts(report) == (4, 1, 0, 3, 3, 0, 0)
    # data rows are numbered by line from the header: V3 follows the two-line V1 record and V2
    assert _query(warehouse, "SELECT visit_id, _row_number FROM visit_logs ORDER BY 1") == [
        ("V1", 1),
        ("V2", 3),
        ("V3", 4),
    ]


def test_blank_lines_trailing_commas_and_a_repeated_header_are_counted_and_not_loaded(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(4)
    commas = "," * header.count(",")
    body = [lines[0], "", lines[1] + ",,", commas, header, lines[2], lines[3], ""]
    _write(folder, header, body)
    # rows: header, V1, blank, V2, blank (commas only), repeated header, V3, V4, blank
    assert _counts(run_ingest(folder)) == (9, 2, 3, 4, 4, 0, 0)


def test_a_malformed_line_keeps_its_text_out_of_every_table_but_the_restricted_one(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=("admin_units", "schools", "workers", "children_registry"))
    members = pd.DataFrame([row("household_members", person_id="P009")]).fillna("").to_csv(index=False)
    header, line = members.splitlines()
    broken = line.replace(GRANDPA_NAME, f"{GRANDPA_NAME},多", 1)
    (folder / "household_members.csv").write_text(f"{header}\n{broken}\n", encoding="utf-8")
    report = run_ingest(folder)
    assert report.feeds["household_members"].quarantined == 1
    con = connect(warehouse)
    try:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            text = con.execute(f'SELECT * FROM "{table}"').df().to_csv()
            assert (GRANDPA_NAME in text) == (table == "identity_raw_lines"), table
    finally:
        con.close()


@pytest.mark.parametrize("chunk", [2, 3, 1000])
def test_rows_of_every_file_add_up_in_the_report_and_in_the_warehouse_whatever_the_chunk_size(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    import data_contracts.ingest as ingest

    monkeypatch.setattr(ingest, "CHUNK_ROWS", chunk)
    folder = write_world(tmp_path / "in", only=BASE)
    header, lines = _lines(7)
    lines[1] = lines[1].replace("routine", "routine,x", 1)  # malformed
    lines[4] = lines[4].replace("home", "飞行", 1)  # a bad code
    body = ["某镇走访记录" + "," * header.count(","), header, *lines[:3], "", lines[0], *lines[3:]]
    (folder / "visit_logs.csv").write_text("\n".join(body) + "\n", encoding="gbk")
    report = run_ingest(folder)
    # title + header, V1, V2 (malformed), V3, blank, V1 again (duplicate), V4..V7 (V5 bad code)
    assert _counts(report) == (11, 2, 1, 8, 5, 2, 1)
    stored = _query(
        warehouse,
        "SELECT rows_in_file, header_row, header_rows, blank_rows, read, loaded, quarantined, duplicate "
        "FROM ingest_files WHERE feed = 'visit_logs'",
    )
    assert stored == [(11, 2, 2, 1, 8, 5, 2, 1)]
    run = _query(
        warehouse, "SELECT read, loaded, quarantined, duplicate, header_rows, blank_rows FROM ingest_runs"
    )
    total = report.total
    assert run == [(total.read, total.loaded, total.quarantined, total.duplicate, total.header, total.blank)]
    for f in report.files:
        assert f.counts.rows == f.counts.header + f.counts.blank + f.counts.read and f.counts.balanced
    assert sorted(r[0] for r in _query(warehouse, "SELECT row_number FROM quarantine")) == [2, 7]
