"""Times and dates as people read them, in one place. The service stores UTC; pages, the print view, Excel and
the API's fields meant for people show the service's time zone (setting `SHOUHU_TIMEZONE`, default
Asia/Shanghai: Beijing time), and dates always with their year."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=8)
def zone(name: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: dt.datetime, tz: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """`moment` in the zone `tz`; a naive time is UTC (SQLite hands stored times back without their zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone(tz))


def now(tz: str = DEFAULT_TIMEZONE) -> dt.datetime:
    return dt.datetime.now(dt.UTC).astimezone(zone(tz))


def as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def date_zh(value: Any, missing: str = "无记录") -> str:
    """e.g. 2025年1月6日 (always with the year: an old record must not read as this year's)."""
    day = as_date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else missing


def datetime_zh(moment: dt.datetime | None, tz: str = DEFAULT_TIMEZONE) -> str:
    """e.g. 2026年12月1日 13:40, in the zone `tz`."""
    if moment is None:
        return ""
    shown = local(moment, tz)
    return f"{date_zh(shown.date())} {shown:%H:%M}"
