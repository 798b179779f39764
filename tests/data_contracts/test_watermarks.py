"""The feed high-water marks ingest keeps (data_contracts/watermarks.py): per feed, township and day, the
latest `recorded_at` loaded and the rows, written in the same transaction as the rows; rebuilt from the rows
for a warehouse loaded before the marks were kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from data_contracts.ingest import IngestReport
from tests.data_contracts.factories import BASE, TOWNSHIP, VILLAGE, row, rows, write

Ingest = Callable[..., IngestReport]
TOWNSHIP2, VILLAGE2 = "360321102000", "360321102201"


def _base(folder: Path) -> None:
    """The little world's reference tables with a second township, and child C002 living there."""
    for feed in BASE:
        write(folder, feed, rows(feed))
    write(
        folder,
        "admin_units",
        [
            *rows("admin_units"),
            row("admin_units", code=TOWNSHIP2, name_zh="二镇"),
            row("admin_units", code=VILLAGE2, level="village", name_zh="二村", parent_code=TOWNSHIP2),
        ],
    )
    write(
        folder,
        "children_registry",
        [
            row("children_registry"),
            row(
                "children_registry",
                child_id="C002",
                name="李小红",
                id_number=None,
                residence_village_code=VILLAGE2,
                recorded_at="2024-01-08",
            ),
        ],
    )


def _attendance(child: str, day: str, recorded: str) -> dict:
    return row("school_attendance", child_id=child, date=day, recorded_at=recorded)


def _marks(warehouse: Path, feed: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            'SELECT township_code, max(latest_recorded_at) AS latest, sum("rows") AS n '
            "FROM feed_watermarks WHERE feed = ? GROUP BY township_code ORDER BY township_code",
            [feed],
        ).df()
    finally:
        con.close()


def _scanned(warehouse: Path, feed: str) -> pd.DataFrame:
    """The same figures computed from the rows, for comparison."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "WITH homes AS (SELECT child_key, arg_max(residence_village_code, snapshot_date) AS v "
            "FROM children_registry GROUP BY child_key) "
            "SELECT left(v, 9) || '000' AS township_code, max(recorded_at) AS latest, count(*) AS n "
            f'FROM "{feed}" JOIN homes USING (child_key) GROUP BY 1 ORDER BY 1'
        ).df()
    finally:
        con.close()


def test_ingest_keeps_the_latest_record_time_per_feed_and_township(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    first = tmp_path / "first"
    _base(first)
    write(
        first,
        "school_attendance",
        [
            _attendance("C001", "2024-03-01", "2024-03-04"),
            _attendance("C001", "2024-03-08", "2024-03-11"),
            _attendance("C002", "2024-03-05", "2024-03-06"),
        ],
    )
    assert run_ingest(first).total.quarantined == 0
    second = tmp_path / "second"
    write(
        second,
        "school_attendance",
        [
            _attendance("C002", "2024-03-19", "2024-03-20 08:30"),
            _attendance("C001", "2024-03-01", "2024-03-04"),  # a duplicate: not loaded, not counted
        ],
        stem="school_attendance_march",
    )
    report = run_ingest(second)
    assert report.total.loaded == 1 and report.total.duplicate == 1

    marks = _marks(warehouse, "school_attendance")
    assert marks["township_code"].tolist() == [TOWNSHIP, TOWNSHIP2]
    assert marks["latest"].tolist() == [pd.Timestamp("2024-03-11"), pd.Timestamp("2024-03-20 08:30")]
    assert marks["n"].tolist() == [2, 2]
    pd.testing.assert_frame_equal(marks, _scanned(warehouse, "school_attendance"), check_dtype=False)
    registry = _marks(warehouse, "children_registry")
    assert registry["township_code"].tolist() == [TOWNSHIP, TOWNSHIP2]
    assert registry["latest"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-08")]
    assert VILLAGE.startswith(TOWNSHIP[:9])


def test_a_table_rolled_back_leaves_no_mark(tmp_path: Path, run_ingest: Ingest, warehouse: Path) -> None:
    folder = tmp_path / "in"
    _base(folder)
    run_ingest(folder)
    broken = tmp_path / "broken"
    path = write(broken, "school_attendance", [_attendance("C001", "2024-03-01", "2024-03-04")])
    path.write_bytes(path.read_bytes() + b'\n"C001,unterminated')  # a file the reader gives up on
    report = run_ingest(broken)
    loaded = report.total.loaded
    assert _marks(warehouse, "school_attendance")["n"].sum() == loaded


def test_a_warehouse_loaded_before_the_marks_were_kept_gets_them_from_its_rows(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    first = tmp_path / "first"
    _base(first)
    write(first, "school_attendance", [_attendance("C001", "2024-03-08", "2024-03-11")])
    run_ingest(first)
    con = duckdb.connect(str(warehouse))
    con.execute("DROP TABLE feed_watermarks")  # as a warehouse of an earlier release
    con.close()
    second = tmp_path / "second"
    write(
        second,
        "school_attendance",
        [_attendance("C002", "2024-03-19", "2024-03-20")],
        stem="school_attendance_april",
    )
    run_ingest(second)
    marks = _marks(warehouse, "school_attendance")
    assert marks["latest"].tolist() == [pd.Timestamp("2024-03-11"), pd.Timestamp("2024-03-20")]
    pd.testing.assert_frame_equal(marks, _scanned(warehouse, "school_attendance"), check_dtype=False)
