"""Closed-loop policy evaluation on small counties: reproducible arms, a shared burn-in (pairing), the oracle
as an upper bound."""

from __future__ import annotations

from datetime import date

import numpy as np

from simulation.config import SimulationConfig
from simulation.county import build_engine
from simulation.policy import SwitchPolicy, TierPolicy
from simulation.policy_eval import evaluate, policy_factory, run_arm
from simulation.policy_measures import measure


def _config(children: int = 300, end: date = date(2023, 8, 31), effects: str = "modest") -> SimulationConfig:
    return SimulationConfig(
        townships=1,
        villages=3,
        children=children,
        start=date(2023, 1, 1),
        end=end,
        seed=3,
        visit_effects=effects,
    )


def test_the_same_seed_and_policy_give_identical_results() -> None:
    config = _config()
    a = run_arm(config, "random", policy_factory("random"), 120)
    b = run_arm(config, "random", policy_factory("random"), 120)
    assert a.measures == b.measures
    assert a.monthly_serious == b.monthly_serious
    assert a.detection_days == b.detection_days
    assert a.visits_per_child_year == b.visits_per_child_year


def test_a_tier_arm_is_the_plain_tier_simulation() -> None:
    config = _config()
    arm = run_arm(config, "tier", policy_factory("tier"), 120)
    built = build_engine(config, TierPolicy())
    built.engine.run()
    plain = measure(built.engine.state, "tier", config.visit_effects, config.seed, 120)
    assert arm.measures == plain.measures
    assert arm.monthly_serious == plain.monthly_serious


def _visits(config: SimulationConfig, after: object, burn_in: int) -> tuple[np.ndarray, np.ndarray]:
    built = build_engine(config, SwitchPolicy(burn_in, TierPolicy(), after))  # type: ignore[arg-type]
    built.engine.run()
    rec = built.engine.state.rec
    child = np.concatenate([v["child"] for v in rec.visits])
    day = np.concatenate([v["day"] for v in rec.visits])
    return child, day


def test_arms_share_the_burn_in_and_diverge_only_after_it() -> None:
    config = _config()
    burn_in = 120
    tier_child, tier_day = _visits(config, TierPolicy(), burn_in)
    rand_child, rand_day = _visits(config, policy_factory("random")(config), burn_in)
    before_t, before_r = tier_day < burn_in - 7, rand_day < burn_in - 7  # visits are dated within their week
    assert np.array_equal(tier_child[before_t], rand_child[before_r])
    assert np.array_equal(tier_day[before_t], rand_day[before_r])
    assert not np.array_equal(tier_child[~before_t], rand_child[~before_r])


def test_the_oracle_detects_at_least_as_many_true_serious_outcomes_as_random_visits() -> None:
    config = _config(children=600, end=date(2023, 12, 31), effects="none")
    ev = evaluate(config, policies=("random", "oracle"), seeds=(3,), effects=("none",), burn_in_days=90)
    detected = {a.policy: a.measures["share_detected"] * a.measures["serious_true"] for a in ev.arms}
    assert detected["oracle"] >= detected["random"]
    assert ev.arm("oracle", "none", 3).measures["serious_true"] > 20


def test_arms_in_worker_processes_give_the_same_results_in_the_same_order() -> None:
    config = _config(children=200, end=date(2023, 6, 30))
    kwargs = {"policies": ("tier", "random"), "seeds": (3, 4), "effects": ("modest",), "burn_in_days": 90}
    serial = evaluate(config, **kwargs)  # type: ignore[arg-type]
    parallel = evaluate(config, jobs=2, **kwargs)  # type: ignore[arg-type]
    assert [(a.policy, a.seed) for a in parallel.arms] == [(a.policy, a.seed) for a in serial.arms]
    for a, b in zip(serial.arms, parallel.arms, strict=True):
        assert a.measures == b.measures
        assert a.detection_days == b.detection_days
    assert parallel.arm("random", "modest", 4).cpu_seconds > 0
