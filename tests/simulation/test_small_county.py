"""A county too small or too short for anyone to register after the start (no entrants) still simulates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from simulation.config import SimulationConfig
from simulation.county import simulate


def test_a_two_month_county_without_entrants_simulates(tmp_path: Path) -> None:
    # 60 children × 5 % a year × 2 months rounds to no entrant at all
    config = SimulationConfig(
        townships=1, villages=2, children=60, start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 28), seed=7
    )
    summary = simulate(config, tmp_path / "sim", progress=False)
    assert summary.children_total == 60
    assert json.loads((tmp_path / "sim" / "simulation.json").read_text(encoding="utf-8"))
    assert (tmp_path / "sim" / "feeds").is_dir()
