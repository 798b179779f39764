"""Times as people read them: stored in UTC, shown in the service's zone (Beijing time by default), dates
with their year."""

from __future__ import annotations

import datetime as dt

import pytest

from serving.localtime import date_zh, datetime_zh, local
from shouhu.settings import Settings


def test_a_decision_made_at_0540_utc_reads_1340_beijing_time() -> None:
    made = dt.datetime(2026, 12, 1, 5, 40, tzinfo=dt.UTC)
    assert datetime_zh(made) == "2026年12月1日 13:40"
    naive = made.replace(tzinfo=None)  # SQLite hands stored times back without their zone: they are UTC
    assert datetime_zh(naive) == "2026年12月1日 13:40"
    assert local(made, "Asia/Urumqi").hour == 11  # another zone when a county sets one


def test_late_evening_utc_is_the_next_day_in_beijing() -> None:
    assert datetime_zh(dt.datetime(2024, 12, 31, 17, 5, tzinfo=dt.UTC)) == "2025年1月1日 01:05"


def test_dates_always_carry_their_year() -> None:
    assert date_zh(dt.date(2022, 11, 28)) == "2022年11月28日"
    assert date_zh("2025-01-06") == "2025年1月6日"
    assert date_zh(None) == "无记录"


def test_the_timezone_setting_defaults_to_beijing_and_refuses_an_unknown_zone(monkeypatch) -> None:
    monkeypatch.delenv("SHOUHU_TIMEZONE", raising=False)
    assert Settings().timezone == "Asia/Shanghai"
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(timezone="Beijing/Standard")
