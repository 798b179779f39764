"""Temporal splits: no test row is scored by a model that learnt from an outcome at or after its as-of."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.splits import monthly_as_of_dates, rolling_origin_splits


def _assert_no_leak(split, horizon_days: int) -> None:
    horizon = pd.Timedelta(days=horizon_days)
    # every label window (t, t + horizon] of an earlier part ends before the next part's first as-of date
    assert max(split.train) + horizon < min(split.test)
    assert max(split.fit) + horizon < min(split.calibration)
    assert set(split.fit).isdisjoint(split.calibration)
    assert set(split.train).isdisjoint(split.test)


def _months_needed(horizon_days: int, shortest_month: int) -> int:
    """Monthly as-of dates one split needs with the splitter's defaults (3 test, 3 calibration, 2 fit dates
    and a gap of one horizon before calibration and before test) if every month had `shortest_month` days:
    31 gives a bound below which no split exists, 28 one from which a split always exists."""
    skipped = horizon_days // shortest_month  # dates inside each gap
    return 3 + 3 + 2 + 2 * skipped


@settings(max_examples=40, deadline=None)
@given(
    months=st.integers(min_value=12, max_value=48),
    horizon=st.sampled_from([30, 60, 90, 120, 180]),
    folds=st.integers(min_value=1, max_value=4),
)
def test_temporal_split_never_leaks(months: int, horizon: int, folds: int) -> None:
    dates = pd.date_range("2021-01-01", periods=months, freq="MS")
    if months < _months_needed(horizon, 31):  # too short a history for this horizon: refusing is right
        with pytest.raises(ValueError, match="too few"):
            rolling_origin_splits(dates, horizon, n_folds=folds)
        return
    try:
        splits = rolling_origin_splits(dates, horizon, n_folds=folds)
    except ValueError:
        # between the two bounds the calendar decides; from the upper one a split must be made
        assert months < _months_needed(horizon, 28), f"{months} months refused for a {horizon}-day gap"
        return
    assert 1 <= len(splits) <= folds
    for split in splits:
        _assert_no_leak(split, horizon)
    # the last fold is the latest test window, ending at the last observable date
    assert splits[-1].test[-1] == dates[-1]
    assert [s.test[0] for s in splits] == sorted(s.test[0] for s in splits)


def test_training_rows_of_a_run_never_leak_into_its_test_window(trained) -> None:
    result = trained
    test_dates = pd.to_datetime(result.test["as_of"])
    _assert_no_leak(result.split, 90)
    assert test_dates.min() > max(result.split.train) + pd.Timedelta(days=90)
    # only rows whose whole label window was recorded are judged
    assert result.test["label_observable"].all()


def test_a_history_too_short_for_the_gaps_is_refused() -> None:
    dates = pd.date_range("2023-01-01", periods=6, freq="MS")
    with pytest.raises(ValueError, match="too few"):
        rolling_origin_splits(dates, 90)


def test_monthly_as_of_dates_are_month_starts_within_the_range() -> None:
    dates = monthly_as_of_dates("2023-01-15", "2023-04-01")
    assert dates == [pd.Timestamp("2023-02-01"), pd.Timestamp("2023-03-01"), pd.Timestamp("2023-04-01")]
