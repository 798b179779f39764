"""Temporal rolling-origin splits over as-of dates (DESIGN.md "Time discipline").

A row at as-of `t` carries a label window `(t, t + horizon]`. Every split keeps a gap of one horizon between
the parts, so no part's label window reaches into a later part's as-of dates: a model never learns from an
outcome that happens after the moment it is asked to score. Splits are by date, never random, so the same
child appears in train and test only with label windows that do not overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from features.dates import monthly_as_of_dates

__all__ = ["TemporalSplit", "monthly_as_of_dates", "rolling_origin_splits"]


@dataclass(frozen=True)
class TemporalSplit:
    """One origin: fit the booster on `fit`, calibrate on `calibration`, evaluate on `test` (as-of dates)."""

    fit: tuple[pd.Timestamp, ...]
    calibration: tuple[pd.Timestamp, ...]
    test: tuple[pd.Timestamp, ...]
    horizon_days: int

    @property
    def train(self) -> tuple[pd.Timestamp, ...]:
        return self.fit + self.calibration

    def window(self, part: str) -> str:
        dates = getattr(self, part)
        return f"{dates[0]:%Y-%m-%d}..{dates[-1]:%Y-%m-%d}" if dates else ""

    def rows(self, as_of: pd.Series, part: str) -> pd.Series:
        """Boolean mask of the rows of `part` ('fit', 'calibration', 'train' or 'test')."""
        return pd.to_datetime(as_of).isin(pd.DatetimeIndex(getattr(self, part)))


def _before(dates: Sequence[pd.Timestamp], start: pd.Timestamp, horizon: pd.Timedelta) -> list[pd.Timestamp]:
    """Dates whose whole label window ends strictly before `start`."""
    return [d for d in dates if d + horizon < start]


def rolling_origin_splits(
    as_of_dates: Sequence[pd.Timestamp | str],
    horizon_days: int,
    n_folds: int = 3,
    test_dates: int = 3,
    calibration_dates: int = 3,
    min_fit_dates: int = 2,
) -> list[TemporalSplit]:
    """Rolling-origin folds, oldest first; the last one is the latest test window (the model we register).

    Folds whose fit part would hold fewer than `min_fit_dates` dates are dropped; raises if none is left.
    """
    dates = sorted({pd.Timestamp(d) for d in as_of_dates})
    horizon = pd.Timedelta(days=horizon_days)
    splits: list[TemporalSplit] = []
    for fold in range(n_folds):
        end = len(dates) - fold * test_dates
        test = dates[max(end - test_dates, 0) : end]
        if not test:
            break
        train = _before(dates, test[0], horizon)
        calibration = train[-calibration_dates:] if calibration_dates else []
        fit = _before(train, calibration[0], horizon) if calibration else train
        if len(fit) < min_fit_dates:
            continue
        splits.append(TemporalSplit(tuple(fit), tuple(calibration), tuple(test), horizon_days))
    if not splits:
        raise ValueError(
            f"{len(dates)} observable as-of dates are too few for a temporal split with a "
            f"{horizon_days}-day gap ({test_dates} test + {calibration_dates} calibration + "
            f"{min_fit_dates} fit dates + 2 gaps)"
        )
    return splits[::-1]
