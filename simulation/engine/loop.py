"""The day loop: orders the steps of each day, week and month over the state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from simulation import params as P
from simulation.effects import VisitEffects
from simulation.engine import caregiving, contact, outcomes, recording, schooling, visits
from simulation.engine.state import (
    Records,
    SimState,
)
from simulation.geography import County
from simulation.policy import VisitPolicy
from simulation.population import Population
from simulation.school_calendar import CalendarArrays


class Engine:
    """One county's day loop under a visit policy: `run` steps the state through every day and returns what
    was recorded."""

    def __init__(
        self,
        county: County,
        cal: CalendarArrays,
        pop: Population,
        start: date,
        end: date,
        rng: np.random.Generator,
        policy: VisitPolicy,
        effects: VisitEffects | None = None,
    ) -> None:
        self.state = SimState(county, cal, pop, start, end, rng, policy, effects)

    @property
    def n_days(self) -> int:
        return self.state.n_days

    def run(self, progress: Callable[[int], None] | None = None) -> Records:
        return run(self.state, progress)


def run(s: SimState, progress: Callable[[int], None] | None = None) -> Records:
    schooling.school_year(s, 0)
    recording.initial_records(s)
    for t in range(s.n_days):
        d = s.cal.dates[t]
        if t in s.snap_days:
            recording.snapshot(s, t)
        if d.day == 1 or t == 0:
            monthly(s, t)
        caregiving.entries(s, t)
        if d.month == 9 and d.day == 1 and t > 0:
            schooling.school_year(s, t)
        contact.spring_festival(s, t)
        if d.month == 8 and d.day == 20:
            caregiving.migrate_with_parents(s, t)
        daily(s, t)
        if s.cal.is_school_day[t]:
            schooling.attendance(s, t)
        if d.weekday() == 4 or t == s.n_days - 1:
            weekly(s, t)
        recording.flush_household_versions(s, t)
        if progress is not None:
            progress(t)
    outcomes.finish(s)
    return s.rec


def daily(s: SimState, t: int) -> None:
    g = s.guardian(t)
    s.g_today = g
    n = s.neglect(g, t)
    contact.daily_contact(s, t)
    caregiving.daily_household(s, t)
    outcomes.daily_outcomes(s, t, g, n)
    schooling.returns_to_school(s, t)


def weekly(s: SimState, t: int) -> None:
    schooling.weekly_school(s, t)
    visits.weekly_visits(s, t)


def monthly(s: SimState, t: int) -> None:
    caregiving.monthly_health(s, t)
    outcomes.truth(s, t)
    if s.cal.dates[t].month == P.SCREEN_MONTH:
        schooling.screening(s, t)
