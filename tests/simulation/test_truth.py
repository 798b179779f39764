"""The hidden truth has a contract: the simulator checks it before writing; evaluation can check on read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from simulation.config import SimulationSummary
from simulation.hazards import OUTCOME_TYPES
from simulation.truth import ChildRiskTruth, OutcomesTruth, read_child_risk, read_outcomes, validate_truth


def failed_checks(error: pandera.errors.SchemaErrors) -> set[str]:
    return {str(c).split("(")[0] for c in error.failure_cases["check"]}


def test_the_written_truth_files_follow_their_contracts(clean_county: tuple[Path, SimulationSummary]) -> None:
    truth = clean_county[0] / "truth"
    risk, outcomes = read_child_risk(truth), read_outcomes(truth)
    assert len(risk) > 0 and len(outcomes) > 0
    assert outcomes["detected"].any() and not outcomes["detected"].all()


def test_every_outcome_type_the_simulator_draws_has_a_rate_column_and_nothing_else_is_undeclared() -> None:
    columns = set(ChildRiskTruth.to_schema().columns)
    assert {c for c in columns if c.startswith("rate_")} == {f"rate_{t}" for t in OUTCOME_TYPES}
    assert set(OUTCOME_TYPES) <= set(
        OutcomesTruth.to_schema().columns["outcome_type"].checks[0].statistics["allowed_values"]
    )


def test_risk_truth_breaking_its_contract_is_refused_with_every_reason(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    risk = pd.read_parquet(clean_county[0] / "truth" / "child_risk.parquet").head(3).copy()
    risk.loc[0, "true_risk_90d"] = 1.5  # not a probability
    risk.loc[1, "detected_risk_90d"] = risk.loc[1, "true_risk_90d"] + 0.1  # detected above true
    risk.loc[2, "date"] = pd.Timestamp("2023-05-17")  # not a month start
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        ChildRiskTruth.validate(risk, lazy=True)
    assert {"less_than_or_equal_to", "detected_risk_within_true_risk", "first_of_month"} <= failed_checks(
        caught.value
    )


def test_an_undeclared_latent_column_is_refused(clean_county: tuple[Path, SimulationSummary]) -> None:
    risk = pd.read_parquet(clean_county[0] / "truth" / "child_risk.parquet").head(2)
    with pytest.raises(pandera.errors.SchemaErrors):
        ChildRiskTruth.validate(risk.assign(secret_sauce=1.0), lazy=True)


def test_outcome_truth_that_says_detected_without_a_report_is_refused(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    outcomes = pd.read_parquet(clean_county[0] / "truth" / "outcomes.parquet")
    undetected = outcomes[~outcomes["detected"]].head(1).assign(detected=True)
    early = outcomes[outcomes["detected"]].head(1)
    early = early.assign(detected_at=early["event_time"] - pd.Timedelta(days=1))
    unknown = outcomes.head(1).assign(outcome_type="alien_abduction", outcome_id="O-new")
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        validate_truth(
            pd.read_parquet(clean_county[0] / "truth" / "child_risk.parquet").head(1),
            pd.concat([undetected, early, unknown], ignore_index=True),
        )
    assert {"detected_iff_reported", "detected_not_before_event", "isin"} <= failed_checks(caught.value)
