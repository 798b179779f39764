"""Time discipline: what a feature at as_of sees never depends on records entered at or after as_of — on both
paths of the engine: the window join (few as-of dates, e.g. serving) and the running sums (many dates, the
training matrix)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from features.pipeline import build_matrix
from tests.features.conftest import row_of
from tests.features.factories import (
    T,
    WarehouseFactory,
    attendance_rows,
    benefit_row,
    contact_row,
    episode_row,
    incident_row,
    member_row,
    registry_row,
    school_event_row,
    visit_row,
)
from tests.features.scenario import county

# Four dates: build_matrix would pick running sums by itself (PREFIX_SUMS_FROM); each path is forced below.
DATES = [pd.Timestamp(d) for d in ("2024-01-20", "2024-03-01", "2024-06-01", "2024-06-10")]
PATHS = {"window-join": False, "running-sums": True}
LABELS = ("label", "label_observable", "true_label", "true_risk")
UNREGISTERED = 99  # a child key the registry never held


def seen_at_as_of(m: pd.DataFrame) -> pd.DataFrame:
    """Everything but the forward-looking label columns, which may (and should) change."""
    keep = [c for c in m.columns if not c.startswith(LABELS)]
    return m[keep].sort_values(["as_of", "child_key"]).reset_index(drop=True)


def up_to(m: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The rows at as-of dates on or before `day`: a record entered on `day` is invisible at all of them."""
    return m[m["as_of"] <= day].reset_index(drop=True)


FEED_ROWS: dict[str, Callable[[int, pd.Timestamp, pd.Timestamp, bool], dict[str, Any]]] = {
    "visit_logs": lambda c, e, r, b: visit_row(
        c,
        str(e.date()),
        recorded_at=r,
        signs_of_injury=b,
        carer_capacity_rating="poor",
        hazards="open_water_nearby",
        next_visit_due=e,
    ),
    "school_attendance": lambda c, e, r, b: attendance_rows(c, "U" if b else "P", str(e.date()), str(r))[0],
    "incidents": lambda c, e, r, b: incident_row(
        c, str(e), "missing" if b else "abuse", recorded_at=r, report_time=r
    ),
    "household_members": lambda c, e, r, b: member_row(
        c, 10, valid_from=e, recorded_at=r, guardian_capacity="incapable", alive=b
    ),
    "parent_migration_episodes": lambda c, e, r, b: episode_row(
        c,
        20,
        "EP1",
        return_date=None if b else e,
        lost_contact_since=e - pd.Timedelta(days=400),
        recorded_at=r,
    ),
    "children_registry": lambda c, e, r, b: registry_row(
        c,
        snapshot_date=e,
        recorded_at=r,
        status="active" if b else "exited",
        exit_reason=None if b else "moved_away",
        lbc_type="both_away" if b else "not_lbc",
    ),
    "parent_contact_log": lambda c, e, r, b: contact_row(
        c, str(e), recorded_at=r, channel="parent_home_visit" if b else "voice_call"
    ),
    "school_events": lambda c, e, r, b: school_event_row(c, str(e.date()), "dropout_flag", recorded_at=r),
    "assistance_benefits": lambda c, e, r, b: benefit_row(c, "dibao", start_date=e, recorded_at=r),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    path = county().build(Path(tmp_path_factory.mktemp("td")) / "base.duckdb", all_tables=True)
    return path, {
        name: seen_at_as_of(build_matrix(path, DATES, prefix_sums=flag)) for name, flag in PATHS.items()
    }


def with_row(base: Path, target: Path, feed: str, row: dict[str, Any]) -> Path:
    shutil.copy(base, target)
    con = duckdb.connect(str(target))
    try:
        cols = [r[0] for r in con.execute(f'DESCRIBE "{feed}"').fetchall()]
        frame = pd.DataFrame([{c: row.get(c) for c in cols}])  # noqa: F841
        con.execute(f'INSERT INTO "{feed}" SELECT * FROM frame')
    finally:
        con.close()
    return target


@settings(max_examples=36, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(sorted(PATHS)),
    feed=st.sampled_from(sorted(FEED_ROWS)),
    child=st.sampled_from([1, 2, 3, 7, 8, UNREGISTERED]),
    as_of=st.sampled_from(DATES),
    event_days_before=st.integers(min_value=0, max_value=400),
    entered_days_after=st.just(0) | st.integers(min_value=0, max_value=30),  # the boundary: entered on as_of
    flag=st.booleans(),
)
@example(
    path="running-sums",
    feed="school_attendance",
    child=1,
    as_of=DATES[2],
    event_days_before=1,
    entered_days_after=0,
    flag=True,
)
@example(
    path="window-join",
    feed="visit_logs",
    child=1,
    as_of=DATES[2],
    event_days_before=0,
    entered_days_after=0,
    flag=True,
)
@example(
    path="running-sums",
    feed="incidents",
    child=2,
    as_of=DATES[1],
    event_days_before=3,
    entered_days_after=0,
    flag=True,
)
@example(
    path="running-sums",
    feed="children_registry",
    child=UNREGISTERED,
    as_of=DATES[0],
    event_days_before=10,
    entered_days_after=0,
    flag=True,
)
def test_a_record_entered_at_or_after_as_of_changes_no_feature_flag_or_cohort_membership(
    base: tuple[Path, dict[str, pd.DataFrame]],
    tmp_path: Path,
    path: str,
    feed: str,
    child: int,
    as_of: pd.Timestamp,
    event_days_before: int,
    entered_days_after: int,
    flag: bool,
) -> None:
    warehouse, before = base
    event = as_of - pd.Timedelta(days=event_days_before)
    recorded = as_of + pd.Timedelta(days=entered_days_after)
    row = FEED_ROWS[feed](child, event, recorded, flag)
    changed = with_row(warehouse, tmp_path / "after.duckdb", feed, row)
    after = seen_at_as_of(build_matrix(changed, DATES, prefix_sums=PATHS[path]))
    pd.testing.assert_frame_equal(up_to(before[path], recorded), up_to(after, recorded))


def test_both_paths_of_the_engine_compute_the_same_matrix(base: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    _, matrices = base
    pd.testing.assert_frame_equal(matrices["window-join"], matrices["running-sums"])


def test_a_visit_typed_in_late_is_invisible_until_it_is_entered(tmp_path: Path) -> None:
    f = WarehouseFactory().add("children_registry", registry_row(1))
    f.add("visit_logs", visit_row(1, "2024-05-01", signs_of_injury=True, recorded_at=T("2024-05-20")))
    m = build_matrix(f.build(tmp_path / "wh.duckdb"), ["2024-05-10", "2024-05-20", "2024-05-21"])
    assert pd.isna(row_of(m, 1, "2024-05-10")["days_since_last_visit"])
    assert pd.isna(row_of(m, 1, "2024-05-20")["days_since_last_visit"])  # entered that day: not before it
    assert row_of(m, 1, "2024-05-21")["days_since_last_visit"] == 20
    assert not row_of(m, 1, "2024-05-10")["flag_suspected_violence_or_injury"]
    assert row_of(m, 1, "2024-05-21")["flag_suspected_violence_or_injury"]


def test_a_county_without_school_feeds_still_scores(tmp_path: Path) -> None:
    f = WarehouseFactory().add("children_registry", registry_row(1))
    m = build_matrix(f.build(tmp_path / "wh.duckdb"), ["2024-06-01"])
    r = row_of(m, 1, "2024-06-01")
    assert pd.isna(r["unexcused_absence_rate_30d"]) and r["visits_90d"] == 0 and r["label"] == 0
