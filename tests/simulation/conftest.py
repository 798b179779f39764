"""Small simulated counties shared by the simulator's tests (each is simulated once per session)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from simulation.config import SimulationSummary
from simulation.county import simulate
from tests.simulation.helpers import small_config


@pytest.fixture(scope="session")
def clean_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("clean")
    return out, simulate(small_config(children=400, end=date(2024, 3, 31)), out, progress=False)


@pytest.fixture(scope="session")
def large_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    """Enough children for shares and seasonality to be measured (one township keeps it fast)."""
    out = tmp_path_factory.mktemp("large")
    config = small_config(
        townships=1, villages=3, children=4000, start=date(2023, 1, 1), end=date(2023, 12, 31)
    )
    return out, simulate(config, out, progress=False)
