"""Every indicator on the hand-built county of `scenario.py`; the expected numbers are worked out by hand in
each test's comments (windows are [as_of - days, as_of), only records with recorded_at < as_of)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from features.pipeline import build_matrix
from features.spec import load_spec
from tests.features.conftest import row_of
from tests.features.factories import WarehouseFactory, attendance_rows, ck, registry_row
from tests.features.scenario import DATES, county


@pytest.fixture(scope="module", params=[False, True], ids=["window-join", "prefix-sums"])
def m(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The matrix by both ways of computing windowed counts: they must agree with the hand-worked answers."""
    path = county().build(Path(tmp_path_factory.mktemp("county")) / "wh.duckdb")
    return build_matrix(path, DATES, prefix_sums=request.param)


def nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def test_every_spec_indicator_is_tested_here() -> None:
    source = Path(__file__).read_text()
    untested = [n for n in load_spec().model_inputs() if f'"{n}"' not in source]
    assert untested == []


# ---- cohort ------------------------------------------------------------------------------------------------


def test_cohort_holds_narrow_left_behind_and_kunjing_children_under_16_by_latest_snapshot(
    m: pd.DataFrame,
) -> None:
    at = {d: set(m[m.as_of == pd.Timestamp(d)].child_key) for d in DATES}
    # 4 turns 16 on 2024-05-30; 5 is neither; 6 exited; 7 registered 2024-06-05;
    # 8 no longer left-behind in April
    assert at["2024-01-20"] == {ck(1), ck(2), ck(3), ck(4), ck(8)}
    assert at["2024-06-01"] == {ck(1), ck(2), ck(3)}
    assert at["2024-06-10"] == {ck(1), ck(2), ck(3), ck(7)}


def test_audit_columns_come_from_the_registry(m: pd.DataFrame) -> None:
    r = row_of(m, 2, "2024-06-01")
    assert (r.sex, r.ethnicity_code, bool(r.minority), bool(r.has_disability), r.age_group) == (
        "M",
        "03",
        True,
        True,
        "12-15",
    )
    assert (r.village_code, r.township_code) == ("530102001001", "530102001000")


# ---- visits (child 1: visits 2023-05-01, 2024-01-10, 2024-04-01; 2024-05-20 typed in on 2024-06-05) -------


def test_days_since_last_visit_ignores_the_visit_typed_in_late(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["days_since_last_visit"] == 61  # 04-01 -> 06-01
    assert row_of(m, 1, "2024-06-10")["days_since_last_visit"] == 21  # 05-20, visible from 06-05
    assert nan(row_of(m, 2, "2024-06-01")["days_since_last_visit"])


def test_days_since_child_seen_skips_the_phone_visit(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["days_since_child_seen"] == 143  # 01-10 -> 06-01


def test_visit_counts_use_their_windows(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")
    assert r["visits_90d"] == 1  # [03-03, 06-01): 04-01
    assert r["visits_365d"] == 2  # [2023-06-02, 06-01): 01-10, 04-01
    assert row_of(m, 2, "2024-06-01")["visits_90d"] == 0


def test_shares_of_visits_with_concerns(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")  # of 01-10 (hazards) and 04-01 (neglect, low mood)
    assert r["share_visits_hazard_365d"] == 0.5
    assert r["share_visits_neglect_365d"] == 0.5
    assert r["share_visits_low_mood_365d"] == 0.5
    assert r["share_visits_injury_signs_365d"] == 0.0
    assert nan(row_of(m, 2, "2024-06-01")["share_visits_hazard_365d"])


def test_latest_rating_and_living_conditions_come_from_the_latest_visit_that_recorded_them(
    m: pd.DataFrame,
) -> None:
    r = row_of(m, 1, "2024-06-01")
    assert r["last_carer_rating"] == 2  # 04-01: 差
    assert r["last_living_conditions"] == 2  # 04-01 left it blank: 01-10's value
    assert row_of(m, 1, "2024-06-10")["last_carer_rating"] == 0  # 05-20: 较好


def test_visit_overdue_days_count_from_next_visit_due(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["visit_overdue_days"] == 31  # due 05-01


def test_open_water_nearby_seen_on_any_visit_in_two_years(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["open_water_nearby"] == 1
    assert nan(row_of(m, 2, "2024-06-01")["open_water_nearby"])


# ---- attendance (child 1) ----------------------------------------------------------------------------------


def test_unexcused_absences_in_the_last_30_days_skip_holidays(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")  # 05-02..05-31: 4 U among 28 school days (2 H)
    assert r["unexcused_absence_days_30d"] == 4
    assert r["unexcused_absence_rate_30d"] == pytest.approx(4 / 28)
    assert row_of(m, 1, "2024-01-20")["unexcused_absence_rate_30d"] == pytest.approx(1 / 4)


def test_unexcused_rate_90_days_and_change_against_the_90_days_before(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")
    # [03-03, 06-01): March 8 P, April UUPUP, May 4 U in 28 -> 7 / 41
    # the 90 days before: Jan PPPU + 03-01 U, 03-02 P -> 2 / 6
    assert r["unexcused_absence_rate_90d"] == pytest.approx(7 / 41)
    assert r["unexcused_rate_change_90d"] == pytest.approx(7 / 41 - 2 / 6)


def test_longest_unexcused_streak_counts_consecutive_calendar_school_days(m: pd.DataFrame) -> None:
    # May: U on Thu 05-02 and Fri 05-03; the Saturday record is no school day; Mon 05-06 has no U -> 2
    assert row_of(m, 1, "2024-06-01")["longest_unexcused_streak_90d"] == 2
    assert row_of(m, 1, "2024-01-20")["longest_unexcused_streak_90d"] == 0  # its only U fell on a Saturday


def test_longest_streak_spans_a_weekend_without_a_calendar(tmp_path: Path) -> None:
    f = WarehouseFactory().add("children_registry", registry_row(1), registry_row(2))
    # Fri 2024-05-03 U, Sat/Sun P (not school days), Mon U, Tue U, Wed P, Thu U
    f.add(
        "school_attendance",
        attendance_rows(1, "UPPUUPU", "2024-05-03"),
        attendance_rows(2, "PP", "2024-05-03"),
    )
    m = build_matrix(f.build(tmp_path / "wh.duckdb"), ["2024-06-01"])
    assert row_of(m, 1, "2024-06-01")["longest_unexcused_streak_90d"] == 3
    assert row_of(m, 2, "2024-06-01")["longest_unexcused_streak_90d"] == 0  # at school, no U


def test_no_attendance_records_is_unknown_not_zero(m: pd.DataFrame) -> None:
    r = row_of(m, 2, "2024-06-01")
    assert nan(r["unexcused_absence_days_30d"]) and nan(r["unexcused_absence_rate_90d"])
    assert nan(r["longest_unexcused_streak_90d"])


def test_post_holiday_rate_uses_the_first_14_days_of_each_term(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["post_holiday_unexcused_rate_365d"] == pytest.approx(
        1 / 10
    )  # 03-01..03-10


def test_school_events_dropout_screening_and_teacher_concerns(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")
    assert r["dropout_transfer_events_365d"] == 1  # 2024-02-01 dropout flag; 2023 transfer too old
    assert r["screening_positive_365d"] == 1
    assert r["teacher_concerns_365d"] == 1
    r2 = row_of(m, 2, "2024-06-01")
    assert r2["dropout_transfer_events_365d"] == 0 and nan(r2["screening_positive_365d"])


# ---- guardian ----------------------------------------------------------------------------------------------


def test_guardianship_type_is_a_few_zero_one_columns(m: pd.DataFrame) -> None:
    one, two = row_of(m, 1, "2024-06-01"), row_of(m, 2, "2024-06-01")
    assert (one["guardianship_grandparents"], two["guardianship_grandparents"]) == (1, 0)
    assert (one["guardianship_parent_incapable"], two["guardianship_parent_incapable"]) == (0, 1)
    assert one["guardianship_relatives_or_entrusted"] == 0 and one["guardianship_unsupervised"] == 0


def test_registry_assessment_and_entrustment_notification(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")
    assert r["registry_guardianship_assessment"] == 1  # 一般
    assert r["entrustment_notified"] == 0.5  # school yes, village no


def test_primary_caregiver_as_recorded_before_as_of(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")  # grandmother born 1960, chronic illness, primary school, capacity limited
    assert (r["caregiver_age"], r["caregiver_health_problem"], r["caregiver_education"]) == (64, 1, 1)
    assert r["caregiver_capacity"] == 1
    assert row_of(m, 1, "2024-06-10")["caregiver_capacity"] == 2  # 无监护能力 from 06-02, recorded 06-05
    assert r["children_per_caregiver"] == 2  # she is also child 3's primary caregiver


# ---- parents -----------------------------------------------------------------------------------------------


def test_both_parents_away_and_months_since_a_parent_was_home(m: pd.DataFrame) -> None:
    one = row_of(m, 1, "2024-06-01")
    assert one["both_parents_away"] == 1
    assert one["months_since_parent_home"] == pytest.approx(42 / 30.4375)  # mother's home visit 04-20
    two = row_of(m, 2, "2024-06-01")
    assert two["both_parents_away"] == 0 and two["months_since_parent_home"] == 0


def test_parent_contacts_per_month_and_days_since_last_contact(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-06-01")
    assert r["parent_contacts_per_month_90d"] == pytest.approx(1.0)  # 3 contacts in 90 days
    assert r["days_since_parent_contact"] == 12  # 05-20


def test_lost_contact_counts_only_after_six_months(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["parent_lost_contact_6m"] == 1  # since 2023-11-01: 213 days
    assert row_of(m, 1, "2024-01-20")["parent_lost_contact_6m"] == 0  # 80 days


# ---- household and child -----------------------------------------------------------------------------------


def test_child_age_grade_boarding_disability_and_illness(m: pd.DataFrame) -> None:
    two = row_of(m, 2, "2024-06-01")  # born 2009-06-15: still 14 on 06-01
    assert (two["age_years"], two["boarding"], two["disability_severity"], two["serious_illness"]) == (
        14,
        1,
        3,
        1,
    )
    one = row_of(m, 1, "2024-06-01")
    assert (one["age_years"], one["grade_level"], one["disability_severity"]) == (10, 4, 0)


def test_dibao_or_tekun_from_benefits_or_registry(m: pd.DataFrame) -> None:
    assert row_of(m, 2, "2024-06-01")["dibao_or_tekun"] == 1  # approved 特困 benefit
    assert row_of(m, 3, "2024-06-01")["dibao_or_tekun"] == 1  # registry: 低保家庭
    assert row_of(m, 1, "2024-06-01")["dibao_or_tekun"] == 0


def test_prior_incidents_in_the_last_year(m: pd.DataFrame) -> None:
    assert row_of(m, 1, "2024-06-01")["prior_incidents_365d"] == 1
    assert row_of(m, 1, "2024-01-20")["prior_incidents_365d"] == 0


# ---- season ------------------------------------------------------------------------------------------------


def test_days_to_holiday_and_the_spring_festival_window(m: pd.DataFrame) -> None:
    jan, jun = row_of(m, 1, "2024-01-20"), row_of(m, 1, "2024-06-01")
    assert (jan["days_to_next_holiday"], jun["days_to_next_holiday"]) == (7, 39)
    assert jan["spring_festival_share_30d"] == pytest.approx(25 / 30)  # 01-26..02-19 of 01-21..02-19
    assert jun["spring_festival_share_30d"] == 0
    assert jun["summer_share_90d"] == pytest.approx(61 / 90)  # 06-02..08-30: July 31 + August 30
