"""The simulator's inputs and its summary (pydantic, so the CLI, tests and `shouhu demo` share one shape)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class SimulationConfig(BaseModel):
    """One county run. `villages` is per township; `children` is the registry size on the start date."""

    townships: int = Field(2, ge=1, le=99)
    villages: int = Field(4, ge=1, le=199, description="Villages per township.")
    children: int = Field(1500, ge=10, le=2_000_000, description="Registered children on the start date.")
    start: date = date(2023, 1, 1)
    end: date = date(2024, 12, 31)
    seed: int = 7
    faults: float = Field(0.0, ge=0.0, le=0.2, description="Share of rows (per faulted feed) given a fault.")
    visit_effects: Literal["none", "current", "modest", "strong"] = Field(
        "current", description="What visits and cases do to risk (simulation.effects presets)."
    )

    @model_validator(mode="after")
    def _window(self) -> SimulationConfig:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.end - self.start).days > 366 * 12:
            raise ValueError("the window is at most 12 years")
        return self


class SimulationSummary(BaseModel):
    """What a run wrote: row counts per feed, outcome counts, where the files are."""

    out: str
    config: SimulationConfig
    rows: dict[str, int]
    children_total: int
    outcomes_true: int
    outcomes_detected: int
    outcomes_by_type: dict[str, int]
    faults_injected: int
    seconds: float
