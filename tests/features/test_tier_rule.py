"""The tier rule (what caseworkers do today) read from a hand-built warehouse, one child per fact, worked by
hand at as_of 2024-06-01. Every child's registry says 监护情况评估 较好 unless the test says otherwise, so
with nothing else recorded a child is green."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.tier_rule import DAYS_COLUMN, TIER_COLUMN, TIERS, tier_table
from tests.features.factories import (
    T,
    WarehouseFactory,
    ck,
    incident_row,
    member_row,
    registry_row,
    visit_row,
)
from training.baselines import tier_rule_score, with_warehouse_tiers

AS_OF = "2024-06-01"


def child(n: int, **over: Any) -> dict[str, Any]:
    return registry_row(n, **({"guardianship_assessment": "good"} | over))


def tiers_of(tmp_path: Path, factory: WarehouseFactory, dates: list[str] = [AS_OF]) -> pd.DataFrame:  # noqa: B006
    return tier_table(factory.build(tmp_path / "wh.duckdb"), dates)


def tier_name(table: pd.DataFrame, n: int, as_of: str = AS_OF) -> str:
    hit = table[(table.child_key == ck(n)) & (table.as_of == pd.Timestamp(as_of))]
    assert len(hit) == 1, f"child {n} at {as_of}: {len(hit)} rows"
    return TIERS[int(hit[TIER_COLUMN].iloc[0])]


def test_an_incident_30_days_before_is_red_and_one_90_days_before_is_not(tmp_path: Path) -> None:
    f = WarehouseFactory().add("children_registry", child(1), child(2), child(3))
    f.add("incidents", incident_row(1, "2024-05-02"), incident_row(2, "2024-03-03"))
    table = tiers_of(tmp_path, f)
    assert tier_name(table, 1) == "red"  # 30 days before
    assert tier_name(table, 2) == "green"  # 90 days before
    assert tier_name(table, 3) == "green"


def test_an_incident_recorded_after_the_as_of_date_is_not_seen(tmp_path: Path) -> None:
    f = WarehouseFactory().add("children_registry", child(1))
    f.add("incidents", incident_row(1, "2024-05-20", recorded_at=T("2024-06-10")))
    table = tiers_of(tmp_path, f, [AS_OF, "2024-07-01"])
    assert tier_name(table, 1) == "green"
    assert tier_name(table, 1, "2024-07-01") == "red"  # recorded by then, event 42 days before


def test_a_poor_assessment_unsupervised_or_a_concern_at_the_last_visit_is_orange(tmp_path: Path) -> None:
    f = WarehouseFactory().add(
        "children_registry",
        child(1, guardianship_assessment="poor"),
        child(2, guardianship_type="unsupervised"),
        child(3, guardianship_type="self_or_siblings"),
        child(4),
        child(5),
        child(6),
    )
    f.add(
        "visit_logs",
        visit_row(4, "2024-05-10", carer_capacity_rating="poor"),  # the worker's latest rating: 差
        visit_row(5, "2024-05-10", child_mood="low"),
        # a concern found earlier, nothing at the last visit: no longer orange
        visit_row(6, "2024-03-10", signs_of_neglect=True),
        visit_row(6, "2024-05-10"),
    )
    table = tiers_of(tmp_path, f)
    assert [tier_name(table, n) for n in range(1, 7)] == ["orange"] * 5 + ["green"]


def test_a_kunjing_child_a_fair_assessment_or_an_incapable_parent_is_yellow(tmp_path: Path) -> None:
    f = WarehouseFactory().add(
        "children_registry",
        child(1, lbc_type="not_lbc", father_away=False, mother_away=False, kunjing_types="orphan"),
        child(2, guardianship_assessment="fair"),
        child(3, guardianship_type="one_parent_home_incapable"),
        child(4),
    )
    f.add(
        "household_members",
        member_row(4, 40, relation="mother", guardian_capacity="incapable", is_primary_caregiver=False),
    )
    table = tiers_of(tmp_path, f)
    assert [tier_name(table, n) for n in range(1, 5)] == ["yellow"] * 4


def test_within_a_tier_the_most_overdue_visit_comes_first(tmp_path: Path) -> None:
    f = WarehouseFactory().add(
        "children_registry",
        child(1, guardianship_assessment="fair"),
        child(2, guardianship_assessment="fair"),
        child(3, guardianship_assessment="fair"),
        child(4, guardianship_assessment="poor"),
    )
    rating = {"carer_capacity_rating": None}  # these visits rate nothing: the registry's 一般 stands
    f.add(
        "visit_logs",
        visit_row(1, "2024-05-20", **rating),
        visit_row(2, "2024-02-01", **rating),
        visit_row(4, "2024-05-31", **rating),
    )
    table = tiers_of(tmp_path, f)
    days = table.set_index("child_key")[DAYS_COLUMN]
    assert days[[ck(1), ck(2), ck(4)]].tolist() == [12.0, 121.0, 1.0] and np.isnan(days[ck(3)])
    frame = pd.DataFrame({"child_key": [ck(n) for n in (1, 2, 3, 4)], "as_of": pd.Timestamp(AS_OF)})
    frame["as_of"] = frame["as_of"].astype("datetime64[us]")
    scored = with_warehouse_tiers(frame, table)
    order = scored["child_key"].to_numpy()[np.argsort(-tier_rule_score(scored), kind="stable")]
    # orange first however recent its visit; then the yellows: never visited, 121 days, 12 days
    assert order.tolist() == [ck(4), ck(3), ck(2), ck(1)]
