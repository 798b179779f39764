"""Contracts of the simulator's hidden truth (OUT/truth/, docs/architecture.md §1); only evaluation reads it.

`simulate` validates both frames before writing them; readers validate on read with `read_child_risk` /
`read_outcomes` (or `ChildRiskTruth.validate(frame)` on a frame they already hold). Child ids are the source
`child_id`s of the feeds, not pseudonyms.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.enums import INCIDENT_TYPE, SEVERITY

CHILD_RISK_FILE = "child_risk.parquet"
OUTCOMES_FILE = "outcomes.parquet"

_PROBABILITY = {"ge": 0.0, "le": 1.0}


class ChildRiskTruth(pa.DataFrameModel):
    """truth/child_risk.parquet: one row per registered child and month (the 1st), with the hidden 90-day
    risk, the latent state behind it and the yearly hazard rate of each outcome type."""

    child_id: Series[str] = pa.Field(str_length={"min_value": 1})
    date: Series[pa.DateTime]
    true_risk_90d: Series[float] = pa.Field(**_PROBABILITY)
    detected_risk_90d: Series[float] = pa.Field(**_PROBABILITY)
    guardian_deficit: Series[float]
    neglect: Series[float]
    distress: Series[float]
    disengagement: Series[float]
    contact_deficit: Series[float]
    frailty: Series[float]
    caregiver_health: Series[int] = pa.Field(ge=0, le=4)  # 0 good … 4 the caregiver has died
    parents_home: Series[bool]
    rate_injury: Series[float] = pa.Field(ge=0)
    rate_drowning: Series[float] = pa.Field(ge=0)
    rate_unsupervised: Series[float] = pa.Field(ge=0)
    rate_neglect: Series[float] = pa.Field(ge=0)
    rate_abuse: Series[float] = pa.Field(ge=0)
    rate_dropout: Series[float] = pa.Field(ge=0)
    rate_missing: Series[float] = pa.Field(ge=0)
    rate_self_harm: Series[float] = pa.Field(ge=0)

    class Config:
        coerce = True
        strict = True  # a new latent column is added here first, so readers learn of it
        unique = ["child_id", "date"]  # noqa: RUF012 (pandera reads it as a class attribute)

    @pa.check("date", name="first_of_month")
    def _first_of_month(cls, date: Series[pd.Timestamp]) -> Series[bool]:
        return (date.dt.day == 1) & (date == date.dt.normalize())

    @pa.dataframe_check(name="detected_risk_within_true_risk")
    def _detected_within_true(cls, df: pd.DataFrame) -> Series[bool]:
        return df["detected_risk_90d"] <= df["true_risk_90d"]


class OutcomesTruth(pa.DataFrameModel):
    """truth/outcomes.parquet: every adverse outcome that happened, noticed or not; a detected one names the
    incident it was reported as and when (`detected_at` = that incident's report time)."""

    outcome_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    child_id: Series[str] = pa.Field(str_length={"min_value": 1})
    outcome_type: Series[str] = pa.Field(isin=list(INCIDENT_TYPE))  # the simulator's types are incident types
    event_time: Series[pa.DateTime]
    detected: Series[bool]
    detected_at: Series[pa.DateTime] = pa.Field(nullable=True)
    incident_id: Series[str] = pa.Field(nullable=True)
    severity: Series[str] = pa.Field(nullable=True, isin=list(SEVERITY))

    class Config:
        coerce = True
        strict = True

    @pa.dataframe_check(name="detected_iff_reported")
    def _detected_iff_reported(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["detected"] == df["incident_id"].notna()) & (df["detected"] == df["detected_at"].notna())

    @pa.dataframe_check(name="detected_not_before_event")
    def _detected_after_event(cls, df: pd.DataFrame) -> Series[bool]:
        return df["detected_at"].isna() | (df["detected_at"] >= df["event_time"])


def validate_truth(risk: pd.DataFrame, outcomes: pd.DataFrame) -> None:
    """Raise pandera's SchemaErrors (every failure at once) when either frame breaks its contract."""
    ChildRiskTruth.validate(risk, lazy=True)
    OutcomesTruth.validate(outcomes, lazy=True)


def read_child_risk(truth_dir: Path) -> pd.DataFrame:
    """truth/child_risk.parquet, validated."""
    return ChildRiskTruth.validate(pd.read_parquet(Path(truth_dir) / CHILD_RISK_FILE), lazy=True)


def read_outcomes(truth_dir: Path) -> pd.DataFrame:
    """truth/outcomes.parquet, validated."""
    return OutcomesTruth.validate(pd.read_parquet(Path(truth_dir) / OUTCOMES_FILE), lazy=True)
