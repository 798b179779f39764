"""As-of date helpers shared by `shouhu features` and training (pandas only: importing it costs nothing)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd


def monthly_as_of_dates(
    start: date | datetime | str | pd.Timestamp, end: date | datetime | str | pd.Timestamp
) -> list[pd.Timestamp]:
    """The 1st of each month in [start, end]: the first 1st on or after `start` (never the month's own 1st
    when `start` lies after it), as midnight timestamps (the §3 `as_of` convention)."""
    begin = pd.Timestamp(start).normalize()
    first = begin.to_period("M").to_timestamp()
    if first < begin:
        first = first + pd.offsets.MonthBegin(1)
    return list(pd.date_range(first, pd.Timestamp(end), freq="MS"))
