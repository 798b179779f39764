"""The school calendar (DOMAIN §3.7 S1/S2): terms, winter break around 春节, summer, statutory holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulation import params as P

# 春节 (lunar new year) dates; the calendar cannot be computed without a lunar table, and this is enough.
SPRING_FESTIVAL = {
    2010: date(2010, 2, 14),
    2011: date(2011, 2, 3),
    2012: date(2012, 1, 23),
    2013: date(2013, 2, 10),
    2014: date(2014, 1, 31),
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
    2036: date(2036, 1, 28),
    2037: date(2037, 2, 15),
    2038: date(2038, 2, 4),
    2039: date(2039, 1, 24),
    2040: date(2040, 2, 12),
}
# Statutory holidays with fixed solar dates (Qingming approximated as 4–6 April): (month, first day, last day)
NATIONAL_HOLIDAYS = ((1, 1, 1), (4, 4, 6), (5, 1, 5), (10, 1, 7))
SUMMER_START = (7, 11)  # §3.7 S2: summer ~Jul 10 – Aug 31
WINTER_WEEKS = 5  # §3.7 S2: winter break ~4–5 weeks spanning 春节


def spring_festival(year: int) -> date:
    try:
        return SPRING_FESTIVAL[year]
    except KeyError:
        raise ValueError(f"no Spring Festival date for {year} (table covers 2010–2040)") from None


def winter_break(year: int) -> tuple[date, date]:
    """First and last day of the winter break in calendar year `year` (starts ~18 days before 春节)."""
    sf = spring_festival(year)
    start = min(max(sf - timedelta(days=18), date(year, 1, 10)), date(year, 1, 31))
    return start, start + timedelta(days=7 * WINTER_WEEKS - 1)


@dataclass(frozen=True)
class CalendarArrays:
    """The calendar as arrays indexed by day number (0 = first day), for the simulation loop."""

    dates: pd.DatetimeIndex
    is_school_day: np.ndarray  # bool
    holiday: np.ndarray  # bool: summer or winter break
    summer: np.ndarray  # bool
    month: np.ndarray  # 1..12
    sf_offset: np.ndarray  # days since the nearest 春节 (negative before it)
    term_id: np.ndarray  # object (None in breaks)
    holiday_type: np.ndarray  # object

    def index(self, day: date) -> int:
        return int((pd.Timestamp(day) - self.dates[0]).days)


def build_calendar(start: date, end: date) -> CalendarArrays:
    dates = pd.date_range(start, end, freq="D")
    n = len(dates)
    school = np.zeros(n, bool)
    holiday = np.zeros(n, bool)
    summer = np.zeros(n, bool)
    term = np.full(n, None, dtype=object)
    htype = np.full(n, None, dtype=object)
    sf_offset = np.zeros(n, np.int32)
    py_dates = dates.date
    years = range(start.year - 1, end.year + 2)
    sf_days = np.array([(pd.Timestamp(spring_festival(y)) - dates[0]).days for y in years])
    day_no = np.arange(n)
    nearest = np.abs(day_no[:, None] - sf_days[None, :]).argmin(axis=1)
    sf_offset[:] = day_no - sf_days[nearest]
    winters = {y: winter_break(y) for y in years}
    for i, d in enumerate(py_dates):
        w0, w1 = winters[d.year]
        in_summer = (d.month, d.day) >= SUMMER_START and d.month <= 8
        in_winter = w0 <= d <= w1
        if in_summer or in_winter:
            holiday[i] = True
            summer[i] = in_summer
            htype[i] = "summer" if in_summer else "winter"
            continue
        # academic year starting in September of `ay`
        ay = d.year if d.month >= 9 else d.year - 1
        term[i] = f"{ay}-{ay + 1}-{1 if (d.month >= 9 or d < w0) else 2}"
        if any(d.month == m and lo <= d.day <= hi for m, lo, hi in NATIONAL_HOLIDAYS):
            htype[i] = "national_holiday"
        elif d.weekday() >= 5:
            htype[i] = "weekend"
        else:
            school[i] = True
    return CalendarArrays(
        dates=dates,
        is_school_day=school,
        holiday=holiday,
        summer=summer,
        month=dates.month.to_numpy(),
        sf_offset=sf_offset,
        term_id=term,
        holiday_type=htype,
    )


def calendar_frame(cal: CalendarArrays) -> pd.DataFrame:
    """The `calendar` feed (F10)."""
    lo, hi = P.SF_WINDOW
    return pd.DataFrame(
        {
            "date": cal.dates,
            "is_school_day": cal.is_school_day,
            "term_id": cal.term_id,
            "holiday_type": cal.holiday_type,
            "spring_festival_window": (cal.sf_offset >= lo) & (cal.sf_offset <= hi),
        }
    )


def breaks_starting(cal: CalendarArrays) -> list[int]:
    """Day numbers on which a summer or winter break begins (for holiday safety sweeps)."""
    h = cal.holiday.astype(np.int8)
    starts = np.flatnonzero(np.diff(h, prepend=h[0]) == 1)
    return [int(s) for s in starts]
