"""simulate → ingest → features → train on a tiny county, through the real pieces of every room; then a scan
of everything it wrote for the county's names, ID numbers and phone numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu.cli import app


def _assert_scores_follow_the_hidden_risk(scores_file: Path, truth: Path, secret: str) -> None:
    """The scored file holds each child of the cohort once, scored by the champion, and its scores rank the
    children by the simulator's hidden 90-day risk better than chance."""
    import pandas as pd

    from data_contracts.pseudonym import child_key
    from simulation.truth import read_child_risk

    scores = pd.read_parquet(scores_file)
    assert len(scores) > 100 and scores["child_key"].is_unique
    assert set(pd.to_datetime(scores["as_of"])) == {pd.Timestamp("2023-12-01")}
    assert set(scores["model_version"]) == {"1"} and scores["probability"].between(0, 1).all()
    assert set(scores["band"]) <= {"red", "orange", "yellow", "green"}
    risk = read_child_risk(truth)
    risk = risk[risk["date"] == pd.Timestamp("2023-12-01")]
    keys = risk["child_id"].map(lambda c: child_key(c, secret))
    hidden = scores["child_key"].map(dict(zip(keys, risk["true_risk_90d"], strict=True)))
    # a child who left after the registry's last snapshot is still in the cohort (the registry lags)
    known = hidden.notna()
    assert known.mean() > 0.95, f"{(~known).sum()} of {len(scores)} scored children unknown to the truth"
    rho = scores.loc[known, "probability"].rank().corr(hidden[known].rank())  # Spearman
    assert rho > 0.2, f"scores barely follow the hidden risk: Spearman {rho:.2f}"


@pytest.mark.slow
def test_a_simulated_county_trains_registers_and_scores(shouhu_env: Path) -> None:
    from data_contracts.ingest import ingest_folder
    from shouhu.settings import get_settings
    from simulation.config import SimulationConfig
    from simulation.county import simulate
    from training import registry

    settings = get_settings()
    settings.ensure_dirs()
    sim = shouhu_env / "sim"
    config = SimulationConfig(
        townships=2, villages=3, children=600, start=date(2022, 1, 1), end=date(2023, 12, 31), seed=5
    )
    simulate(config, sim, progress=False)
    report = ingest_folder(
        sim / "feeds", settings.warehouse, settings.pseudonym_secret.get_secret_value(), progress=False
    )
    assert report.total.loaded > 0

    runner = CliRunner()
    trained = runner.invoke(app, ["train", "--truth", str(sim / "truth")])
    assert trained.exit_code == 0, trained.output
    assert "true_precision_at_k" in trained.output and "oracle_ratio" in trained.output
    assert registry.champion_version(settings.mlflow_tracking_uri, settings.model_name) == "1"

    out = shouhu_env / "out" / "scores.parquet"
    scored = runner.invoke(app, ["score", "--as-of", "2023-12-01", "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    assert "scored" in scored.output
    _assert_scores_follow_the_hidden_risk(out, sim / "truth", settings.pseudonym_secret.get_secret_value())

    # the monthly job: the same feeds again (ingest skips files it has seen), a new version through the gates
    again = runner.invoke(app, ["retrain", "--feeds", str(sim / "feeds"), "--truth", str(sim / "truth")])
    assert again.exit_code == 0, again.output
    assert "quality" in again.output and "fairness" in again.output and "calibration" in again.output
    assert registry.challenger_version(settings.mlflow_tracking_uri, settings.model_name) == "2"

    # privacy: the names of the identity tables (the one place they may live) appear nowhere downstream
    import duckdb

    from data_contracts.privacy import scan_for_pii

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        names = [
            r[0]
            for table in ("identity_children", "identity_persons")
            for r in con.execute(f"SELECT DISTINCT name FROM {table} WHERE name IS NOT NULL").fetchall()
        ]
    finally:
        con.close()
    assert len(names) > 600  # children and their guardians and parents
    mlruns = shouhu_env / "mlruns"
    assert (mlruns / "mlflow.db").exists() and any(mlruns.rglob("model_card.md"))
    found = scan_for_pii(warehouse=settings.warehouse, folders=[mlruns, out.parent], known_names=names)
    assert found == [], [str(f) for f in found[:10]]
