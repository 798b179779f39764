"""Every contract rule rejects a row that breaks it: one valid factory row per feed, one thing broken."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd
import pytest

from data_contracts.feeds import FEEDS
from data_contracts.ingest import contract_failures
from data_contracts.models import CHECK_FIELD, RECORDED_NOT_BEFORE_EVENT
from data_contracts.normalize import column_kind
from tests.data_contracts.factories import frame, row

BAD_BY_CHECK: dict[str, tuple[Any, str]] = {  # pandera check -> (breaking value, rule reported)
    "isin": ("不是代码", "isin"),
    "codes_in": ("zzz", "codes_in"),
    "str_matches": ("12ab", "str_matches"),
    "str_length": ("  ", "not_nullable"),  # blank is missing after trimming, so the key is reported missing
}
UNREADABLE = {"datetime": "2016-13-45", "bool": "也许", "int": "三", "float": "abc"}


def _column_cases() -> list[Any]:
    cases = []
    for feed in FEEDS.values():
        for name, column in feed.schema.columns.items():
            for check in column.checks:
                stats = check.statistics or {}
                if check.name == "str_length" and column.nullable:
                    continue  # a blank optional id is simply missing
                if check.name in BAD_BY_CHECK:
                    value, rule = BAD_BY_CHECK[check.name]
                elif check.name == "in_range":
                    value, rule = str(stats["max_value"] + 1), "in_range"
                elif check.name == "greater_than_or_equal_to":
                    value, rule = str(stats["min_value"] - 1), "greater_than_or_equal_to"
                else:
                    raise AssertionError(f"no breaking value for check {check.name} of {feed.name}.{name}")
                cases.append(
                    pytest.param(feed.name, name, value, rule, id=f"{feed.name}.{name}.{check.name}")
                )
            if not column.nullable:
                cases.append(
                    pytest.param(feed.name, name, "", "not_nullable", id=f"{feed.name}.{name}.not_null")
                )
            kind = column_kind(column)
            if kind in UNREADABLE:
                rule = f"coerce_dtype('{column.dtype}')"
                cases.append(
                    pytest.param(feed.name, name, UNREADABLE[kind], rule, id=f"{feed.name}.{name}.coerce")
                )
    return cases


ROW_CHECK_CASES = {  # dataframe check -> (feed, overrides that break only it)
    "birth_before_snapshot": ("children_registry", {"birth_date": "2025-01-01"}),
    "exit_reason_iff_exited": ("children_registry", {"status": "exited", "exit_reason": None}),
    "return_after_departure": ("parent_migration_episodes", {"return_date": "2018-01-01"}),
    "screening_fields_only_on_screenings": ("school_events", {"event_type": "enrol"}),
    "reported_not_before_event": ("incidents", {"report_time": "2024-03-01"}),
    "dispatched_not_before_report": ("incidents", {"police_dispatch_time": "2024-04-01 11:00"}),
    "mandatory_report_names_a_trigger": ("incidents", {"mandatory_report": "是"}),
    "end_not_before_start": ("assistance_benefits", {"end_date": "2022-01-01"}),
    "closed_not_before_opened": ("cases", {"closed_at": "2024-01-01"}),
}
EVENT_FEEDS = [name for name, feed in FEEDS.items() if feed.event_time]


def entered_a_day_before_the_event(feed: str) -> dict[str, str]:
    """The factory row of `feed` with `recorded_at` one day before its event time."""
    event = pd.Timestamp(row(feed)[FEEDS[feed].event_time]) - pd.Timedelta(days=1)
    return {"recorded_at": event.strftime("%Y-%m-%d %H:%M")}


COLUMN_CASES = _column_cases()


def failures_of(feed: str, **overrides: Any) -> set[tuple[str, str]]:
    _, failures = contract_failures(FEEDS[feed], frame([row(feed, **overrides)]))
    return set(zip(failures["field"], failures["rule"], strict=True))


@cache
def _feed_case_failures(feed: str) -> dict[int, set[tuple[str, str]]]:
    """All column cases of a feed validated in one frame, one row per case (rules are row-local)."""
    cases = [c.values for c in COLUMN_CASES if c.values[0] == feed]
    _, failures = contract_failures(FEEDS[feed], frame([row(feed, **{f: v}) for _, f, v, _ in cases]))
    found: dict[int, set[tuple[str, str]]] = {i: set() for i in range(len(cases))}
    for r, f, rule in zip(failures["row"], failures["field"], failures["rule"], strict=True):
        found[int(r)].add((f, rule))
    return found


@pytest.mark.parametrize("feed", list(FEEDS))
def test_the_factory_row_of_every_feed_passes_its_contract(feed: str) -> None:
    assert failures_of(feed) == set()


@pytest.mark.parametrize(("feed", "field", "value", "rule"), COLUMN_CASES)
def test_a_value_breaking_a_column_rule_is_reported_under_that_field_and_rule(
    feed: str, field: str, value: str, rule: str
) -> None:
    position = [c.values for c in COLUMN_CASES if c.values[0] == feed].index((feed, field, value, rule))
    assert (field, rule) in _feed_case_failures(feed)[position]


@pytest.mark.parametrize("check", list(ROW_CHECK_CASES))
def test_a_row_breaking_a_row_check_is_reported_once_under_the_field_to_correct(check: str) -> None:
    feed, overrides = ROW_CHECK_CASES[check]
    assert failures_of(feed, **overrides) == {(CHECK_FIELD[check], check)}


@pytest.mark.parametrize("feed", EVENT_FEEDS)
def test_a_record_entered_before_its_event_is_reported_under_recorded_at(feed: str) -> None:
    assert failures_of(feed, **entered_a_day_before_the_event(feed)) == {
        ("recorded_at", RECORDED_NOT_BEFORE_EVENT)
    }


@pytest.mark.parametrize("feed", EVENT_FEEDS)
def test_a_record_entered_on_its_event_time_passes(feed: str) -> None:
    assert failures_of(feed, recorded_at=row(feed)[FEEDS[feed].event_time]) == set()


def test_every_event_feed_and_only_event_feeds_check_entry_after_the_event() -> None:
    checked = {n for n, f in FEEDS.items() if RECORDED_NOT_BEFORE_EVENT in [c.name for c in f.schema.checks]}
    assert checked == set(EVENT_FEEDS)
    assert {"visit_logs", "school_attendance", "incidents", "children_registry"} <= checked
    assert not checked & {"admin_units", "calendar", "schools", "workers"}


def test_every_row_check_of_every_contract_has_a_breaking_case_and_a_field() -> None:
    declared = {c.name for feed in FEEDS.values() for c in feed.schema.checks}
    assert declared == {*ROW_CHECK_CASES, RECORDED_NOT_BEFORE_EVENT} == set(CHECK_FIELD)


def test_an_optional_column_may_be_absent_and_is_then_missing() -> None:
    data = frame([row("incidents")])
    assert "police_dispatch_time" not in data.columns
    typed, failures = contract_failures(FEEDS["incidents"], data)
    assert failures.empty
    assert typed["police_dispatch_time"].isna().all() and typed["data_quality_flag"].isna().all()


def test_an_optional_column_that_is_present_is_validated() -> None:
    assert failures_of("school_events", academic_percentile="101") == {("academic_percentile", "in_range")}
    assert failures_of("visit_logs", data_quality_flag="补录、信息不全") == set()


def test_an_unreadable_cell_is_reported_once_as_unreadable_not_again_as_missing() -> None:
    assert failures_of("visit_logs", living_conditions="三") == {
        ("living_conditions", "coerce_dtype('Int64')")
    }


def test_a_set_with_one_unknown_member_is_rejected_and_known_terms_are_accepted() -> None:
    assert ("hazards", "codes_in") in failures_of("visit_logs", hazards="临近水域、外星人")
    assert failures_of("visit_logs", hazards="临近水域、危房; dogs") == set()


def test_every_failure_in_a_file_is_reported_at_once_with_its_row() -> None:
    rows = [
        row("visit_logs"),
        row("visit_logs", mode="飞行"),
        row("visit_logs", child_seen="x", hazards="zz"),
    ]
    _, failures = contract_failures(FEEDS["visit_logs"], frame(rows))
    got = set(zip(failures["row"], failures["field"], strict=True))
    assert got == {(1, "mode"), (2, "child_seen"), (2, "hazards")}


def test_a_contract_column_missing_from_the_file_is_a_problem_of_the_file() -> None:
    from data_contracts.readers import FileProblem

    data = frame([row("visit_logs")]).drop(columns=["mode"])
    with pytest.raises(FileProblem, match="mode"):
        contract_failures(FEEDS["visit_logs"], data)


def test_valid_rows_come_out_in_the_contract_types() -> None:
    typed, _ = contract_failures(FEEDS["visit_logs"], frame([row("visit_logs")]))
    assert typed["visit_date"].iloc[0] == pd.Timestamp("2024-02-10")
    assert typed["child_seen"].iloc[0] is True or bool(typed["child_seen"].iloc[0]) is True
    assert typed["living_conditions"].iloc[0] == 3
