"""Paired runs: the random streams are separate, so visiting other children changes what visits find and
what follows from it, not every later draw of the county (common random numbers)."""

from __future__ import annotations

from datetime import date

import numpy as np

from simulation.config import SimulationConfig
from simulation.county import build_engine
from simulation.policy import RandomPolicy, TierPolicy, VisitPolicy


def _outcomes(policy: VisitPolicy, effects: str) -> set[tuple[int, str, int]]:
    config = SimulationConfig(
        townships=1,
        villages=3,
        children=400,
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
        seed=5,
        visit_effects=effects,
    )
    engine = build_engine(config, policy).engine
    engine.run()
    s = engine.state
    return set(zip(s.o_child, s.o_type, s.o_day, strict=True))


def test_another_visit_policy_leaves_most_true_outcomes_in_place_when_visits_prevent_nothing() -> None:
    tier, random = _outcomes(TierPolicy(), "none"), _outcomes(RandomPolicy(), "none")
    assert len(tier) > 30
    shared = len(tier & random) / len(tier | random)
    # visits still detect (and detection still moves a few children, e.g. back to school), so not all
    assert shared > 0.9, shared


def test_a_visits_protection_lowers_only_the_named_hazards_of_the_visited_children_while_it_lasts() -> None:
    from simulation import hazards as HZ

    config = SimulationConfig(
        townships=1, villages=2, children=100, end=date(2023, 6, 30), visit_effects="strong"
    )
    s = build_engine(config).engine.state
    idx = np.arange(s.N)
    g = s.guardian(10)
    before = s.rates(idx, 10, g, s.neglect(g, 10))
    kids = np.array([0, 1])
    s.protect(("drowning",), kids, np.array([5, 5]), 30, 0.4)
    during = s.rates(idx, 10, g, s.neglect(g, 10))
    after = s.rates(idx, 40, s.guardian(40), s.neglect(s.guardian(40), 40))
    d = HZ.OUTCOME_TYPES.index("drowning")
    assert np.allclose(during[d, kids], 0.6 * before[d, kids])
    assert np.array_equal(np.delete(during, d, axis=0), np.delete(before, d, axis=0))
    assert np.array_equal(during[:, 2:], before[:, 2:])
    s.protect_mult[:] = 1.0  # the same day without any protection
    unprotected = s.rates(idx, 40, s.guardian(40), s.neglect(s.guardian(40), 40))
    assert np.array_equal(after, unprotected)  # over by day 40: it lasted 30 days from day 5
    assert (s.protect_until[d, kids] == 35).all()
