"""Each mandatory-report rule on its own child, worked by hand at as_of 2024-06-01 ("recent" = 30 days)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.pipeline import build_matrix
from features.rules import RULES
from tests.features.conftest import row_of
from tests.features.factories import (
    T,
    WarehouseFactory,
    episode_row,
    incident_row,
    member_row,
    registry_row,
    visit_row,
)

AS_OF = "2024-06-01"


def county() -> WarehouseFactory:
    f = WarehouseFactory()
    f.add(
        "children_registry",
        *[registry_row(c) for c in range(1, 14) if c != 2],
        registry_row(2, guardianship_type="unsupervised"),
    )
    f.add(
        "household_members",
        member_row(1, 101),
        member_row(3, 103, lives_with_child=False),  # the only caregiver lives elsewhere
        member_row(6, 106, guardian_capacity="incapable", incapacity_reason="severe_illness"),
        member_row(13, 113, alive=False),  # the recorded caregiver has died
    )
    f.add(
        "incidents",
        incident_row(4, "2024-05-20", "missing", severity=None),
        incident_row(5, "2024-04-01", "missing", severity=None),  # two months ago: not recent
        incident_row(9, "2024-05-25", "abuse", recorded_at=T("2024-06-03")),  # reported after as_of
        incident_row(
            10, "2024-05-28", "injury", trigger_2016="suspected_accident_or_crime", mandatory_report=True
        ),
    )
    f.add(
        "visit_logs",
        visit_row(7, "2024-05-01", signs_of_neglect=True, carer_capacity_rating="poor"),
        visit_row(8, "2024-05-15", signs_of_injury=True),
    )
    lost = {"lost_contact_since": T("2023-10-01"), "recorded_at": T("2023-12-01")}
    f.add(
        "parent_migration_episodes",
        episode_row(11, 201, "A", **lost),
        episode_row(11, 202, "B", **lost),
        episode_row(12, 203, "C", **lost),
        episode_row(12, 204, "D"),
    )
    return f


@pytest.fixture(scope="module")
def m(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return build_matrix(county().build(Path(tmp_path_factory.mktemp("rules")) / "wh.duckdb"), [AS_OF])


def fired(m: pd.DataFrame, child: int) -> set[str]:
    r = row_of(m, child, AS_OF)
    names = {rule.name for rule in RULES if r[rule.column]}
    assert r["rule_flags"] == ";".join(rule.name for rule in RULES if rule.name in names)
    return names


def test_every_rule_names_its_legal_basis() -> None:
    assert all(r.label_zh and "〔" in r.legal_basis for r in RULES)


def test_a_child_with_a_capable_caregiver_and_no_reports_fires_nothing(m: pd.DataFrame) -> None:
    assert fired(m, 1) == set()
    assert row_of(m, 1, AS_OF)["rule_flags"] == ""


def test_registry_unsupervised_child_is_flagged_living_alone(m: pd.DataFrame) -> None:
    assert fired(m, 2) == {"living_alone_or_unsupervised"}


def test_child_with_nobody_living_with_them_is_flagged_living_alone(m: pd.DataFrame) -> None:
    assert fired(m, 3) == {"living_alone_or_unsupervised"}


def test_recent_missing_report_flags_missing_and_an_old_one_does_not(m: pd.DataFrame) -> None:
    assert fired(m, 4) == {"missing"}
    assert fired(m, 5) == set()


def test_incapable_primary_caregiver_flags_guardian_incapable(m: pd.DataFrame) -> None:
    assert fired(m, 6) == {"guardian_incapable_or_not_performing"}


def test_no_living_primary_caregiver_flags_guardian_incapable(m: pd.DataFrame) -> None:
    assert "guardian_incapable_or_not_performing" in fired(m, 13)


def test_visit_finding_neglect_with_carer_rated_poor_flags_not_performing(m: pd.DataFrame) -> None:
    assert fired(m, 7) == {"guardian_incapable_or_not_performing"}


def test_recent_signs_of_injury_or_violence_report_flags_suspected_violence(m: pd.DataFrame) -> None:
    assert fired(m, 8) == {"suspected_violence_or_injury"}
    assert fired(m, 10) == {"suspected_violence_or_injury"}


def test_report_recorded_after_as_of_does_not_flag_yet(m: pd.DataFrame) -> None:
    assert fired(m, 9) == set()


def test_both_parents_lost_for_six_months_flags_and_one_parent_does_not(m: pd.DataFrame) -> None:
    assert fired(m, 11) == {"lost_contact_both_parents"}
    assert fired(m, 12) == set()
