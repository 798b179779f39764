"""Closed-loop policy evaluation: the same county run under several visit policies, compared on what happened
to the children (docs/policy-evaluation.md).

Paired design: every arm is built from the same seed (same population, same random streams — common random
numbers, simulation/engine/state.py), and every arm visits by the tier rule during the burn-in (default the
first year), which is also the data the model is trained on. The arms diverge only after the burn-in, and only
in whom the 儿童主任 visit; differences in outcomes come from the policy and from what visits do
(simulation.effects, reported across presets)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from simulation import hazards as HZ
from simulation import params as P
from simulation.config import SimulationConfig
from simulation.county import build_engine
from simulation.engine.state import SimState
from simulation.policy import (
    ChecklistPolicy,
    RandomPolicy,
    SwitchPolicy,
    TierPolicy,
    VillageView,
    VisitPolicy,
)
from simulation.policy_measures import ArmResult, measure

POLICIES = ("tier", "checklist", "random", "oracle", "model", "model-retrained")
MODEL_POLICIES = ("model", "model-retrained")
RETRAIN_EVERY_DAYS = 365  # model-retrained: trained again on everything recorded, once a year
# relative weight of each outcome type in the oracle's risk: injuries count only when not minor (≈40%)
SERIOUS_WEIGHT = np.array([0.4 if t == "injury" else 1.0 for t in HZ.OUTCOME_TYPES])


class OraclePolicy:
    """The upper bound: visits the children at highest hidden true risk (the serious-outcome hazard today),
    and first any child with an outcome nobody has reported that a home visit could still find. Reads the
    simulation's hidden state; no real policy can."""

    def __init__(self) -> None:
        self.state: SimState | None = None
        self._day = -1
        self._risk = np.zeros(0)

    def bind(self, state: SimState) -> None:
        self.state = state

    def _risk_today(self, t: int) -> np.ndarray:
        s = self.state
        assert s is not None, "the oracle is bound to the simulation state by the engine"
        if t != self._day:
            idx = np.arange(s.N)
            g = s.g_today
            rates = s.rates(idx, t, g, s.neglect(g, t)) * SERIOUS_WEIGHT[:, None]
            risk = rates.sum(axis=0)
            for kind, (window, _p) in P.DETECT_AT_VISIT.items():
                pend = s.pending[kind]
                has = pend >= 0
                o_day = np.array([*s.o_day, 0])[np.where(has, pend, -1)]
                risk = np.where(has & (t - o_day <= window), np.inf, risk)
            self._day, self._risk = t, risk
        return self._risk

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        if view.capacity <= 0 or len(view.children) == 0:
            return view.children[:0]
        risk = self._risk_today(view.day)[view.children]
        order = np.lexsort((view.children, -risk))
        return view.children[order[: view.capacity]]


PolicyFactory = Callable[[SimulationConfig], VisitPolicy]


def policy_factory(name: str, model: Any = None) -> PolicyFactory:
    """A fresh policy per arm. `model` (simulation.policies_model.ModelContext) is needed by `model`."""
    if name == "tier":
        return lambda _c: TierPolicy()
    if name == "checklist":
        return lambda _c: ChecklistPolicy()
    if name == "random":
        return lambda c: RandomPolicy(seed=c.seed)
    if name == "oracle":
        return lambda _c: OraclePolicy()
    if name in MODEL_POLICIES:
        if model is None:
            raise ValueError("the model policy needs a model trained on the burn-in (see evaluate())")
        from simulation.policies_model import ModelPolicy

        every = RETRAIN_EVERY_DAYS if name == "model-retrained" else None
        return lambda c: ModelPolicy(model, c, retrain_every_days=every)
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")


def burn_in_day(config: SimulationConfig, burn_in_days: int) -> int:
    if not 0 < burn_in_days < (config.end - config.start).days:
        raise ValueError("the burn-in must end inside the simulated window")
    return burn_in_days


def run_arm(config: SimulationConfig, name: str, factory: PolicyFactory, burn_in_days: int) -> ArmResult:
    """One arm: tier rule during the burn-in, then `factory`'s policy; measured over the compared period."""
    began, cpu = time.perf_counter(), time.process_time()
    policy = SwitchPolicy(burn_in_day(config, burn_in_days), TierPolicy(), factory(config))
    built = build_engine(config, policy)
    built.engine.run()
    result = measure(built.engine.state, name, config.visit_effects, config.seed, burn_in_days)
    result.seconds = time.perf_counter() - began
    result.cpu_seconds = time.process_time() - cpu
    return result


@dataclass
class Evaluation:
    """Every arm, and where the time went."""

    arms: list[ArmResult]
    burn_in_days: int
    timings: dict[str, float] = field(default_factory=dict)

    def arm(self, policy: str, effects: str, seed: int) -> ArmResult:
        return next(a for a in self.arms if (a.policy, a.effects, a.seed) == (policy, effects, seed))


def _arm_task(
    config: SimulationConfig, name: str, model: Any, burn_in_days: int
) -> tuple[ArmResult, dict[str, float]]:
    """One arm and the model policy's time split (a worker process keeps its own TIMINGS)."""
    from simulation.policies_model import TIMINGS

    TIMINGS.clear()
    arm = run_arm(config, name, policy_factory(name, model), burn_in_days)
    return arm, dict(TIMINGS)


def evaluate(
    config: SimulationConfig,
    *,
    policies: Sequence[str] = ("tier", "checklist", "random", "oracle"),
    seeds: Sequence[int] = (1, 2, 3),
    effects: Sequence[str] = ("none", "modest", "strong"),
    burn_in_days: int = 365,
    work_dir: Any = None,
    tracking_uri: str | None = None,
    artifact_root: Any = None,
    say: Callable[[str], None] = lambda _m: None,
    jobs: int = 1,
) -> Evaluation:
    """Run every (seed, effect preset, policy) arm. The `model` arm trains its model on its own burn-in
    (simulation.policies_model) — per seed and preset, since what visits do shapes the burn-in's data.
    `jobs` > 1 runs arms in that many worker processes (arms are independent: each is built from its own
    seed, so the results are the same as one after another); the longest arms (`model`) start first."""
    for name in policies:
        if name not in POLICIES:
            raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    wants_model = any(p in MODEL_POLICIES for p in policies)
    if wants_model and burn_in_days < 365:
        # weekly training dates with a 90-day gap before calibration and before test need about a year
        raise ValueError("the model policy needs a burn-in of at least 365 days to train on")
    model = None
    if wants_model:
        from simulation.policies_model import model_context

        model = model_context(work_dir, tracking_uri, artifact_root)
    tasks = [
        (config.model_copy(update={"seed": seed, "visit_effects": fx}), name)
        for seed in seeds
        for fx in effects
        for name in policies
    ]
    results: dict[int, tuple[ArmResult, dict[str, float]]] = {}

    def done(i: int, result: tuple[ArmResult, dict[str, float]]) -> None:
        results[i] = result
        arm = result[0]
        say(
            f"seed {arm.seed}, effects {arm.effects}: policy {arm.policy} done in {arm.seconds:.0f} s "
            f"(undetected serious / 1,000 child-years {arm.measures['undetected_per_1000']:.1f})"
        )

    if jobs <= 1:
        for i, (c, name) in enumerate(tasks):
            say(f"seed {c.seed}, effects {c.visit_effects}: policy {name}")
            done(i, _arm_task(c, name, model, burn_in_days))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # stable sort: the long model arms first
        order = sorted(range(len(tasks)), key=lambda i: tasks[i][1] not in MODEL_POLICIES)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_arm_task, *tasks[i], model, burn_in_days): i for i in order}
            say(f"{len(tasks)} arms in {jobs} worker processes")
            for future in as_completed(futures):
                done(futures[future], future.result())
    arms: list[ArmResult] = []
    timings: dict[str, float] = {}
    for i in range(len(tasks)):
        arm, spent = results[i]
        arms.append(arm)
        timings[f"arm {arm.policy}"] = timings.get(f"arm {arm.policy}", 0.0) + arm.seconds
        timings[f"arm {arm.policy} CPU"] = timings.get(f"arm {arm.policy} CPU", 0.0) + arm.cpu_seconds
        for k, v in spent.items():
            timings[f"model: {k}"] = timings.get(f"model: {k}", 0.0) + v
    return Evaluation(arms, burn_in_days, timings)


def interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and a 95% t-interval across seeds (NaN bounds with one seed)."""
    from scipy import stats

    x = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if len(x) == 0:
        return float("nan"), float("nan"), float("nan")
    if np.isinf(x).any():  # a median delay of "never": no mean to take
        return float("inf"), float("nan"), float("nan")
    m = float(x.mean())
    if len(x) < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return m, m - half, m + half


def headline(ev: Evaluation, effects: str, model: str = "model") -> list[float]:
    """Per seed: (tier − model) ÷ (tier − oracle) on undetected serious harm per 1,000 child-years — the share
    of the best possible gain the policy realises (NaN when the oracle gains nothing)."""
    out = []
    for seed in sorted({a.seed for a in ev.arms if a.effects == effects}):
        found = {a.policy: a for a in ev.arms if a.effects == effects and a.seed == seed}
        if not {"tier", model, "oracle"} <= set(found):
            continue
        tier, pol, oracle = (found[p].measures["undetected_per_1000"] for p in ("tier", model, "oracle"))
        gap = tier - oracle
        out.append((tier - pol) / gap if gap > 0 else float("nan"))
    return out
