"""The latest-version views (`features.asof.latest`: household, migration episodes, benefits, the primary
caregiver) pick the same rows as the `row_number()` windows they replaced, on a hand-built warehouse with
several versions per record, versions recorded or in force only after the as-of date, and full ties on the
order keys (which the window broke arbitrarily and `latest` breaks by the remaining columns)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest

from features import asof
from features.backend import Backend, as_of_frame, open_warehouse
from tests.features.factories import T, WarehouseFactory, benefit_row, episode_row, member_row

DATES = ["2024-01-01", "2024-07-01"]


def window_latest(t: ir.Table, by: Sequence[str], order: Sequence[str]) -> ir.Table:
    """The formulation `latest` replaced: a row_number() window, ordered by `order` descending, then (the
    final key `latest` documents) the remaining columns descending with nulls last."""
    rest = [c for c in t.columns if c not in by and c not in order]
    w = ibis.window(
        group_by=[t[c] for c in by],
        order_by=[ibis.desc(t[c]) for c in order] + [ibis.desc(t[c], nulls_first=False) for c in rest],
    )
    return t.mutate(_rn=ibis.row_number().over(w)).filter(lambda x: x._rn == 0).drop("_rn")


def tied_warehouse() -> WarehouseFactory:
    members = [
        # child 1, grandmother: three versions, the latest in force recorded after 2024-01-01
        member_row(
            1, 10, valid_from=T("2023-01-01"), recorded_at=T("2023-01-02"), guardian_capacity="capable"
        ),
        member_row(
            1, 10, valid_from=T("2023-06-01"), recorded_at=T("2023-06-03"), guardian_capacity="limited"
        ),
        member_row(
            1, 10, valid_from=T("2023-06-01"), recorded_at=T("2024-02-01"), guardian_capacity="incapable"
        ),
        # a version not yet in force at either date
        member_row(
            1, 10, valid_from=T("2024-09-01"), recorded_at=T("2023-12-01"), guardian_capacity="capable"
        ),
        # child 1, grandfather: a full tie on (valid_from, recorded_at), differing in health and a null
        member_row(1, 11, relation="paternal_grandfather", is_primary_caregiver=False, health_status="poor"),
        member_row(1, 11, relation="paternal_grandfather", is_primary_caregiver=False, health_status="good"),
        member_row(1, 11, relation="paternal_grandfather", is_primary_caregiver=False, health_status=None),
        # child 2: two living primary caregivers, only one living with the child; an exact duplicate row
        member_row(2, 20, lives_with_child=False),
        member_row(2, 21, lives_with_child=True),
        member_row(2, 21, lives_with_child=True),
        # child 3: two primaries, neither living with the child (the smaller key is chosen), one null
        member_row(3, 31, lives_with_child=None),
        member_row(3, 30, lives_with_child=False),
        member_row(3, 32, alive=False),
    ]
    episodes = [
        episode_row(1, 20, "EP1", recorded_at=T("2023-02-15")),
        episode_row(1, 20, "EP1", recorded_at=T("2023-09-01"), return_date=T("2023-08-20")),
        episode_row(1, 20, "EP1", recorded_at=T("2024-03-01"), lost_contact_since=T("2023-12-01")),
        # a tie on recorded_at, differing in sector and a null
        episode_row(2, 21, "EP2", recorded_at=T("2023-05-01"), sector="construction"),
        episode_row(2, 21, "EP2", recorded_at=T("2023-05-01"), sector="services"),
        episode_row(2, 21, "EP2", recorded_at=T("2023-05-01"), sector=None),
        # not yet begun at the first date
        episode_row(3, 30, "EP3", depart_date=T("2024-03-01"), recorded_at=T("2023-01-01")),
    ]
    benefits = [
        benefit_row(1, "dibao", status="applied", recorded_at=T("2023-06-05")),
        benefit_row(1, "dibao", status="active", recorded_at=T("2023-08-01")),
        benefit_row(1, "dibao", status="ended", recorded_at=T("2024-05-01"), end_date=T("2024-04-30")),
        benefit_row(2, "tekun", status="active", recorded_at=T("2023-06-05"), monthly_amount_cny=300.0),
        benefit_row(2, "tekun", status="active", recorded_at=T("2023-06-05"), monthly_amount_cny=None),
        benefit_row(2, "tekun", status="suspended", recorded_at=T("2023-06-05"), monthly_amount_cny=300.0),
    ]
    return (
        WarehouseFactory()
        .add("household_members", members)
        .add("parent_migration_episodes", episodes)
        .add("assistance_benefits", benefits)
    )


@pytest.fixture
def wh(tmp_path: Path) -> Backend:
    backend = open_warehouse(tied_warehouse().build(tmp_path / "wh.duckdb"))
    yield backend
    backend.close()


def rows(wh: Backend, t: ir.Table, key: Sequence[str]) -> pd.DataFrame:
    return wh.execute(t).sort_values(list(key)).reset_index(drop=True)


@pytest.mark.parametrize(
    ("feed", "event", "by", "order"),
    [
        (
            "household_members",
            "valid_from",
            ["person_key", "child_key", "as_of"],
            ["valid_from", "recorded_at"],
        ),
        ("parent_migration_episodes", "depart_date", ["episode_id", "child_key", "as_of"], ["recorded_at"]),
        ("assistance_benefits", None, ["benefit_id", "as_of"], ["recorded_at"]),
    ],
)
def test_latest_version_equals_the_row_number_window_with_ties_and_late_versions(
    wh: Backend, feed: str, event: str | None, by: list[str], order: list[str]
) -> None:
    dates = wh.load_frame("_d", as_of_frame(DATES))
    t = wh.table(feed)
    preds = [t.recorded_at < dates.as_of] + ([t[event] <= dates.as_of] if event else [])
    j = t.join(dates, preds)
    new, old = rows(wh, asof.latest(j, by, order), by), rows(wh, window_latest(j, by, order), by)
    assert len(new) == len(old) > 0
    assert not new.duplicated(by).any()
    pd.testing.assert_frame_equal(new, old)


def test_views_pick_the_latest_version_and_break_full_ties_by_the_other_columns(wh: Backend) -> None:
    dates = wh.load_frame("_d", as_of_frame(DATES))
    hh = rows(wh, asof.household_at(wh, dates), ["person_key", "child_key", "as_of"])
    grandma = hh[hh.person_key.str.endswith("a") & hh.child_key.str.endswith("1")]
    # 2024-01-01: the version recorded on 2024-02-01 is not yet known; 2024-07-01: it is
    assert grandma.guardian_capacity.tolist() == ["limited", "incapable"]
    grandpa = hh[hh.person_key.str.endswith("b")]
    assert grandpa.health_status.tolist() == ["poor", "poor"]  # the greatest of the tied values, not null
    assert len(hh) == len(hh.drop_duplicates(["person_key", "child_key", "as_of"]))

    ep = rows(wh, asof.episodes_at(wh, dates), ["episode_id", "as_of"])
    assert ep[ep.episode_id == "EP1"].return_date.notnull().tolist() == [True, False]
    assert ep[ep.episode_id == "EP2"].sector.tolist() == ["services", "services"]
    assert ep[ep.episode_id == "EP3"].as_of.tolist() == [T("2024-07-01")]


def test_primary_caregiver_equals_the_row_number_window(wh: Backend) -> None:
    dates = wh.load_frame("_d", as_of_frame(DATES))
    household = asof.household_at(wh, dates)
    p = household.filter(household.is_primary_caregiver & household.alive)
    w = ibis.window(
        group_by=[p.child_key, p.as_of],
        order_by=[ibis.desc(p.lives_with_child.fill_null(False)), p.person_key],
    )
    old = p.mutate(_rn=ibis.row_number().over(w)).filter(lambda x: x._rn == 0).drop("_rn")
    new = rows(wh, asof.primary_caregiver(household), ["child_key", "as_of"])
    pd.testing.assert_frame_equal(new, rows(wh, old, ["child_key", "as_of"]))
    # child 2: the one living with the child; child 3: neither does, the smaller key
    assert [k[-2:] for k in new.person_key] == ["0a", "0a", "15", "15", "1e", "1e"]
