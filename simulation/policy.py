"""Visit policies: who a village's 儿童主任 visits this week. Pluggable, so model-ranked lists can be compared
with the tier rule in closed loop (DESIGN §Simulator: a visit policy that reacts to risk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from simulation import params as P

TIERS = ("red", "orange", "yellow", "green")
TIER_INTERVAL = np.array([P.TIER_INTERVAL_DAYS[t] for t in TIERS])
GUARD_HIGH = (5, 6)  # population.GUARDIANSHIP_CODES: self_or_siblings, unsupervised


@dataclass(frozen=True)
class VillageView:
    """What the worker knows about the village's registered children this week (arrays aligned with
    `children`, the children's row numbers in the simulation). Day numbers count from the start date;
    a child never visited has `last_visit_day` = −10**6. Nothing here is hidden state."""

    day: int
    children: np.ndarray
    capacity: int
    sweep: bool  # the weeks before a summer or winter break
    last_visit_day: np.ndarray
    assessment: np.ndarray  # 0 good, 1 fair, 2 poor (latest 监护情况评估 the worker recorded)
    guardianship: np.ndarray  # index into population.GUARDIANSHIP_CODES, as registered
    kunjing: np.ndarray  # bool: a 困境 child
    last_concern: np.ndarray  # bool: the last visit noted neglect, injury, hygiene or low mood
    last_incident_day: np.ndarray  # latest detected incident the worker was told of (−10**6 none)
    open_water: np.ndarray  # bool: the open_water_nearby hazard has been recorded
    next_due_day: np.ndarray  # next_visit_due of the last visit (10**6 none)


class VisitPolicy(Protocol):
    """Given the date and what the worker knows about the village's children, pick whom to visit (row numbers
    from `view.children`, at most `view.capacity`, most urgent first)."""

    def __call__(self, today: date, view: VillageView) -> np.ndarray: ...


def tiers(view: VillageView) -> np.ndarray:
    """The tier rule (DOMAIN §1.5, §1.8 [D]): 0 red … 3 green."""
    red = (view.day - view.last_incident_day) <= 60
    orange = (view.assessment == 2) | np.isin(view.guardianship, GUARD_HIGH) | view.last_concern
    yellow = (view.assessment == 1) | view.kunjing | (view.guardianship == 4)
    return np.select([red, orange, yellow], [0, 1, 2], default=3)


@dataclass(frozen=True)
class TierPolicy:
    """Visit whoever is most overdue relative to their tier's interval; in sweep weeks, children near open
    water or in high tiers come first (假期安全排查)."""

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        if view.capacity <= 0 or len(view.children) == 0:
            return view.children[:0]
        tier = tiers(view)
        since = view.day - view.last_visit_day
        due = np.minimum(view.last_visit_day + TIER_INTERVAL[tier], view.next_due_day)
        overdue = (view.day - due) / TIER_INTERVAL[tier]
        eligible = overdue >= 0
        if view.sweep:
            sweep_target = (view.open_water | (tier <= 1)) & (since > 21)
            eligible |= sweep_target
            overdue = overdue + 10.0 * sweep_target
        order = np.lexsort((-overdue, tier))  # tier first, then most overdue
        order = order[eligible[order]]
        return view.children[order[: view.capacity]]


@dataclass(frozen=True)
class RandomPolicy:
    """Visit children in a random order within capacity (a floor: attention spread without any ranking).
    Keyed by village and week, so the order does not depend on how the other villages were visited."""

    seed: int = 0

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        if view.capacity <= 0 or len(view.children) == 0:
            return view.children[:0]
        rng = np.random.default_rng((self.seed, int(view.children[0]), view.day))
        return view.children[rng.permutation(len(view.children))[: view.capacity]]


CHECKLIST_ITEMS = (
    "recent_incident",
    "poor_assessment",
    "guardianship_high",
    "last_concern",
    "kunjing",
    "water",
)


def checklist_score(view: VillageView) -> np.ndarray:
    """How many items of a paper risk checklist (排查表) are ticked, from what the worker knows."""
    items = (
        (view.day - view.last_incident_day) <= 90,
        view.assessment == 2,
        np.isin(view.guardianship, GUARD_HIGH),
        view.last_concern,
        view.kunjing,
        view.open_water & view.sweep,
    )
    return np.sum(items, axis=0)


@dataclass(frozen=True)
class ChecklistPolicy:
    """Visit by the number of checklist items ticked, then by days since the last visit (no tiers, no
    intervals): the common paper practice of ranking by counted risk factors."""

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        if view.capacity <= 0 or len(view.children) == 0:
            return view.children[:0]
        since = view.day - view.last_visit_day
        order = np.lexsort((view.children, -since, -checklist_score(view)))
        return view.children[order[: view.capacity]]


class SwitchPolicy:
    """One policy until `day` (the burn-in), another after: every arm of a paired evaluation shares the
    burn-in, so the arms diverge only from `day` on."""

    def __init__(self, day: int, before: VisitPolicy, after: VisitPolicy) -> None:
        self.day, self.before, self.after = day, before, after

    def bind(self, state: object) -> None:
        for p in (self.before, self.after):
            if hasattr(p, "bind"):
                p.bind(state)

    def __call__(self, today: date, view: VillageView) -> np.ndarray:
        return (self.before if view.day < self.day else self.after)(today, view)
