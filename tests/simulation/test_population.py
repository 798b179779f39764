"""The simulated registry matches the parameter table (DOMAIN §3) and moves like a real one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation import params as P
from simulation.config import SimulationSummary
from tests.simulation.helpers import read_feed


def _first_snapshot(out: Path) -> pd.DataFrame:
    reg = read_feed(out, "children_registry")
    return reg[reg["snapshot_date"] == reg["snapshot_date"].min()]


def test_grandparents_care_for_the_share_of_narrow_lbc_the_2016_survey_found(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    first = _first_snapshot(large_county[0])
    narrow = first[first["lbc_type"].isin(["both_away", "one_away_other_incapable"])]
    share = (narrow["guardianship_type"] == "grandparents").mean()
    assert abs(share - P.GUARDIANSHIP_NARROW["grandparents"]) <= 0.03  # DOMAIN §3.1 P8
    assert {"unsupervised", "other_relatives", "one_parent_home_incapable"} <= set(
        narrow["guardianship_type"]
    )


def test_sex_age_and_ethnicity_mix_follow_the_parameters(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    first = _first_snapshot(large_county[0])
    assert abs((first["sex"] == "M").mean() - P.P_MALE) <= 0.03  # §3.1 P5
    age = (pd.to_datetime(first["snapshot_date"]) - pd.to_datetime(first["birth_date"])).dt.days / 365.25
    assert abs((age < 6).mean() - P.AGE_BANDS[0][2]) <= 0.03  # §3.1 P6
    assert age.max() < P.AGE_OUT
    ethnic = first["ethnicity_code"].value_counts(normalize=True)
    assert abs(ethnic["01"] - P.ETHNICITY["01"]) <= 0.04 and len(ethnic) >= 4  # groups for fairness audits


def test_registry_holds_kunjing_children_who_are_not_left_behind(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    first = _first_snapshot(large_county[0])
    kunjing_only = first[(first["lbc_type"] == "not_lbc") & first["kunjing_types"].notna()]
    assert len(kunjing_only) > 0.03 * len(first)
    assert first["kunjing_types"].str.contains("poverty_dibao", na=False).any()


def test_children_leave_and_join_the_registry_between_snapshots(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    reg = read_feed(large_county[0], "children_registry")
    exited = reg[reg["status"] == "exited"]
    assert exited["exit_reason"].notna().all()
    assert {"parents_returned", "aged_out"} <= set(exited["exit_reason"])
    first_seen = reg.groupby("child_id")["snapshot_date"].min()
    assert (first_seen > reg["snapshot_date"].min()).sum() > 0  # newly registered children appear later
    # an exited child is not listed as active afterwards
    exit_at = exited.groupby("child_id")["snapshot_date"].min()
    later = reg[reg["child_id"].isin(exit_at.index)]
    assert not (
        (later["status"] == "active") & (later["snapshot_date"] > later["child_id"].map(exit_at))
    ).any()
    active = reg[reg["status"] == "active"].groupby("snapshot_date").size()
    assert active.iloc[-1] < active.iloc[0]  # net decline (§3.1 P2)


def test_caregiver_changes_are_new_versions_of_household_rows(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    members = read_feed(large_county[0], "household_members")
    versions = members.groupby(["person_id", "child_id"])["valid_from"].nunique()
    assert (versions > 1).any()
    assert (~members["alive"].astype(bool)).any()  # some caregivers die during the year
    assert (pd.to_datetime(members["recorded_at"]) >= pd.to_datetime(members["valid_from"])).all()
    assert members.groupby("child_id")["is_primary_caregiver"].any().mean() > 0.9
    episodes = read_feed(large_county[0], "parent_migration_episodes")
    assert episodes["lost_contact_since"].notna().any() and episodes["return_date"].notna().any()
    assert episodes.groupby("episode_id")["recorded_at"].nunique().max() > 1
