"""Outcomes happen whether or not anyone notices; detection depends on who looks; the truth is informative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import params as P
from simulation.config import SimulationSummary
from simulation.county import simulate
from simulation.policy import VillageView
from tests.simulation.helpers import read_feed, small_config


def test_most_outcomes_are_never_detected_and_most_neglect_least_of_all(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    outcomes = pd.read_parquet(large_county[0] / "truth" / "outcomes.parquet")
    assert outcomes["detected"].mean() < 0.4  # far fewer: about a quarter to a third are ever detected
    by_type = outcomes.groupby("outcome_type")["detected"].mean()
    assert by_type["neglect"] < 0.5 and by_type["dropout"] > by_type["neglect"]
    detected = outcomes[outcomes["detected"]]
    assert (detected["detected_at"] >= detected["event_time"]).all()
    incidents = read_feed(large_county[0], "incidents").set_index("incident_id")
    assert set(detected["incident_id"]) <= set(incidents.index)
    assert outcomes.loc[~outcomes["detected"], "incident_id"].isna().all()
    # detected outcomes are frequent enough to learn from: a few % of children per 90 days [D]
    children = read_feed(large_county[0], "children_registry")["child_id"].nunique()
    per_90_days = len(detected) / children * 90 / 365
    assert 0.01 < per_90_days < 0.08


def test_mandatory_reports_name_their_trigger(large_county: tuple[Path, SimulationSummary]) -> None:
    incidents = read_feed(large_county[0], "incidents")
    mandatory = incidents[incidents["mandatory_report"].astype(bool)]
    assert len(mandatory) > 0
    assert (mandatory["trigger_2016"].notna() | mandatory["trigger_2020"].notna()).all()
    assert (pd.to_datetime(incidents["report_time"]) >= pd.to_datetime(incidents["event_time"])).all()


def test_august_carries_the_largest_share_of_simulated_drownings(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    """DOMAIN §3.5 I2b: drowning peaks in August. Checked on the drownings the simulation produced, and on
    the hazard behind them (the truth's monthly drowning rate times the month's seasonal weight)."""
    out = large_county[0]
    outcomes = pd.read_parquet(out / "truth" / "outcomes.parquet")
    months = outcomes.loc[outcomes["outcome_type"] == "drowning", "event_time"].dt.month
    assert len(months) >= 50  # enough drownings for a monthly share to mean something
    share = months.value_counts(normalize=True).reindex(range(1, 13), fill_value=0.0)
    assert share.idxmax() == 8
    assert share[8] > 2 / 12  # well above an even spread over the year
    assert share[[6, 7, 8, 9]].sum() > 0.45
    risk = pd.read_parquet(out / "truth" / "child_risk.parquet")
    month = risk["date"].dt.month
    expected = (risk["rate_drowning"] * np.asarray(P.DROWNING_MONTH)[month - 1]).groupby(month).sum()
    assert expected.idxmax() == 8


def test_truth_risk_is_higher_for_children_who_go_on_to_have_an_outcome(
    large_county: tuple[Path, SimulationSummary],
) -> None:
    out = large_county[0]
    risk = pd.read_parquet(out / "truth" / "child_risk.parquet")
    outcomes = pd.read_parquet(out / "truth" / "outcomes.parquet")
    assert (risk["date"].dt.day == 1).all() and risk["true_risk_90d"].between(0, 1).all()
    assert (risk["detected_risk_90d"] <= risk["true_risk_90d"]).all()
    as_of = pd.Timestamp("2023-04-01")
    cohort = risk[risk["date"] == as_of].set_index("child_id")
    window = outcomes[
        (outcomes["event_time"] > as_of) & (outcomes["event_time"] <= as_of + pd.Timedelta(days=90))
    ]
    had = cohort.index.isin(window["child_id"])
    assert cohort.loc[had, "true_risk_90d"].mean() > 1.5 * cohort.loc[~had, "true_risk_90d"].mean()
    # a minority carries most of the risk
    top = cohort["true_risk_90d"].sort_values(ascending=False)
    assert top.head(len(top) // 5).sum() > 0.4 * top.sum()


@dataclass(frozen=True)
class NoVisits:
    """A policy that never visits anyone."""

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        return view.children[:0]


def test_visit_policy_is_pluggable_and_visits_find_what_others_miss(tmp_path: Path) -> None:
    config = small_config(children=500)
    simulate(config, tmp_path / "tier", progress=False)
    simulate(config, tmp_path / "none", progress=False, policy=NoVisits())
    tier_visits = read_feed(tmp_path / "tier", "visit_logs")
    none_visits = read_feed(tmp_path / "none", "visit_logs")
    assert (tier_visits["worker_role"] == "children_director").sum() > 100
    assert (none_visits["worker_role"] == "children_director").sum() == 0
    assert "holiday_safety_sweep" in set(tier_visits["visit_type"])

    def found_at_visits(folder: Path) -> int:
        incidents = read_feed(folder, "incidents")
        return int((incidents["reporter_type"] == "village_committee").sum())

    assert found_at_visits(tmp_path / "tier") > found_at_visits(tmp_path / "none")
