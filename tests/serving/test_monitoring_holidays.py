"""School feeds go silent in the school holidays by nature: their freshness alerts count the school days of
the warehouse's own calendar since the latest record, so 暑假 raises no alert while other feeds still do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from features.backend import open_warehouse
from serving.monitoring import feeds
from tests.features import factories as F
from tests.serving.test_monitoring import COUNTY, V1

TERM_ENDS = "2024-07-05"  # a Friday; the summer holiday runs 07-06 to 08-31


@pytest.fixture(scope="module")
def summer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wf = F.WarehouseFactory()
    wf.add("children_registry", F.registry_row(1, residence_village_code=V1))
    wf.add("school_attendance", F.attendance_rows(1, "PPPPP", "2024-07-01"))  # the term's last week
    wf.add("visit_logs", F.visit_row(1, TERM_ENDS))
    wf.add(
        "calendar",
        F.calendar_rows(
            "2024-02-20",
            "2024-12-31",
            terms=[("2024S", "2024-02-26", TERM_ENDS), ("2024F", "2024-09-02", "2025-01-17")],
            holidays=[("summer", "2024-07-06", "2024-08-31")],
        ),
    )
    return wf.build(tmp_path_factory.mktemp("summer") / "warehouse.duckdb", all_tables=True)


def _figures(path: Path, as_of: dt.date) -> dict[str, feeds.Figure]:
    wh = open_warehouse(path)
    try:
        return {f.subject: f for f in feeds.freshness(wh, as_of, 14, COUNTY) if f.area_code == COUNTY}
    finally:
        wh.close()


def test_attendance_silent_in_the_summer_holiday_is_not_reported_stopped(summer: Path) -> None:
    figures = _figures(summer, dt.date(2024, 8, 20))
    attendance = figures["school_attendance"]
    assert attendance.value == 46 and not attendance.alert
    assert attendance.detail["school_days"] == 0
    assert figures["visit_logs"].alert  # visits do not stop for the holidays


def test_attendance_missing_two_weeks_into_the_new_term_is_reported_stopped(summer: Path) -> None:
    early = _figures(summer, dt.date(2024, 9, 9))["school_attendance"]  # one school week missed
    assert early.detail["school_days"] == 5 and not early.alert
    late = _figures(summer, dt.date(2024, 9, 16))["school_attendance"]
    assert late.detail["school_days"] == 10 and late.alert


def test_without_a_calendar_a_school_feed_counts_calendar_days(tmp_path: Path) -> None:
    wf = F.WarehouseFactory()
    wf.add("children_registry", F.registry_row(1, residence_village_code=V1))
    wf.add("school_attendance", F.attendance_rows(1, "PPPPP", "2024-07-01"))
    path = wf.build(tmp_path / "warehouse.duckdb", all_tables=True)
    attendance = _figures(path, dt.date(2024, 8, 20))["school_attendance"]
    assert attendance.alert and "school_days" not in attendance.detail
