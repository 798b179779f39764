"""The whole chain once on a small simulated county: simulate → ingest → features with truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.ingest import ingest_folder
from features.pipeline import build_matrix
from features.spec import AUDIT_COLUMNS, load_spec
from simulation.config import SimulationConfig
from simulation.county import simulate


@pytest.mark.slow
def test_a_simulated_county_goes_through_ingest_into_a_valid_matrix_with_truth(tmp_path: Path) -> None:
    config = SimulationConfig(
        townships=1, villages=2, children=150, start=date(2023, 1, 1), end=date(2024, 6, 30), seed=3
    )
    simulate(config, tmp_path / "sim", progress=False)
    wh = tmp_path / "wh.duckdb"
    secret = "chain-test-secret"
    ingest_folder(tmp_path / "sim", wh, secret, progress=False)
    dates = list(pd.date_range("2023-04-01", "2024-03-01", freq="MS"))
    # validated by FeatureMatrix; the truth's ids are keyed with the warehouse's secret
    m = build_matrix(wh, dates, truth_dir=tmp_path / "sim" / "truth", pseudonym_secret=secret)
    assert m.as_of.nunique() == len(dates) and len(m) > 100
    assert m["true_risk"].notna().mean() > 0.9  # truth keys meet warehouse keys through the pseudonym
    assert m["days_since_last_visit"].notna().any() and m["unexcused_absence_rate_90d"].notna().any()
    assert not set(AUDIT_COLUMNS) & set(load_spec().model_inputs())
