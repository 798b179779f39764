"""Household and caregiving: registrations and exits, caregivers' health, death and replacement, families
migrating with their parents."""

from __future__ import annotations

import numpy as np

from simulation import identity
from simulation import params as P
from simulation.engine import recording, schooling
from simulation.engine.state import (
    NEVER,
    SimState,
)
from simulation.geography import AREA6
from simulation.population import G


def entries(s: SimState, t: int) -> None:
    if t == 0:
        return
    new = np.flatnonzero(s.c_entry == t)
    if len(new) == 0:
        return
    s.active[new] = True
    schooling.assign_school(s, new, t)
    for h in np.unique(s.hh[new]):
        recording.household_version(s, int(h), t, initial=True)
        recording.migration_initial(s, int(h), t)
        recording.benefits_initial(s, s.children_of(np.array([h])), t)
    for c in new:
        if s.enrolled[c]:
            schooling.school_event(s, int(c), t, "transfer_in")


def exit_household(s: SimState, h: int, t: int, reason: str) -> None:
    kids = s.children_of(np.array([h]))
    kids = kids[s.active[kids]]
    s.h_exited[h] = True
    for c in kids:
        exit_child(s, int(c), t, reason)
    if reason == "parents_returned":
        s.home[h] = True
        recording.migration_version(s, h, t, returned=True)


def exit_child(s: SimState, c: int, t: int, reason: str) -> None:
    if not s.active[c]:
        return
    s.active[c] = False
    s.exit_day[c] = t
    s.exit_reason[c] = reason
    if s.enrolled[c] and reason in ("migrated_with_parents", "moved_away"):
        schooling.school_event(s, c, t, "transfer_out")
    s.enrolled[c] = False
    for b in s.benefit_ids.get(c, []):
        s.rec.benefits.append(
            {**b, "status": "terminated", "end_date": t, "recorded": t + 10 + int(s.lag(15))}
        )
    s.benefit_ids[c] = []


def migrate_with_parents(s: SimState, t: int) -> None:
    cand = np.flatnonzero(s.away & ~s.h_exited & (s.h_entry <= t))
    go = cand[s.rng.random(len(cand)) < P.EXIT_MIGRATED_WITH_PARENTS]
    for h in go:
        exit_household(s, int(h), t, "migrated_with_parents")


def mark_dirty_later(s: SimState, h: int, t: int) -> None:
    s.dirty.add(h)


def caregiver_dies(s: SimState, h: int, t: int) -> None:
    s.situations.append(("caregiver_died", h, t))
    s.carer_gone[h] = True
    s.acute_until[h] = -1
    s.carer_health[h] = 4
    s.p_dead.add(int(s.carer[h]))
    s.dirty.add(h)
    kids = s.children_of(np.array([h]))
    s.M[kids[s.active[kids]]] += 1.5
    s.replace_day[h] = t + int(s.rng.integers(*P.REPLACE_CAREGIVER_DAYS))


def replace_caregiver(s: SimState, h: int, t: int) -> None:
    rng = s.rng
    s.replace_day[h] = NEVER
    s.carer_gone[h] = False
    s.acute_until[h] = -1
    if s.away[h] and rng.random() < 0.25:
        exit_household(s, h, t, "parents_returned")
        return
    if s.second[h] >= 0:
        p = int(s.second[h])
        s.carer[h] = p
        s.second[h] = -1
        s.carer_health[h] = 0 if s.p_health.get(p) == "good" else 1
        s.carer_age0[h] = s.start.year - s.p_birth_year[p]
    else:
        p = len(s.p_id)
        s.p_id.append(f"P{p + 1:08d}")
        s.p_household.append(h)
        s.p_relation.append("other_relative")
        age = float(np.clip(rng.normal(*P.RELATIVE_AGE[:2]), 25, 70))
        s.p_birth_year.append(int(s.start.year - age))
        s.p_name.append(identity.names(1, rng)[0])
        birth = np.array([np.datetime64(f"{int(s.start.year - age)}-06-15")])
        s.p_idno.append(identity.id_numbers(AREA6, birth, np.array([rng.random() < 0.4]), rng)[0])
        s.p_phone.append(identity.phones(1, rng)[0])
        s.p_edu.append("primary")
        s.carer[h] = p
        s.carer_health[h] = 0
        s.carer_age0[h] = age
        s.guard[h] = G["other_relatives"]
    s.dirty.add(h)


def daily_household(s: SimState, t: int) -> None:
    """Caregivers replaced after a death, households moving away, children ageing out."""
    rng = s.rng
    # caregiver replacement after a death (a relative or the second grandparent takes over)
    for h in np.flatnonzero(s.replace_day == t):
        replace_caregiver(s, int(h), t)
    # moved away (household-level hazard)
    moving = np.flatnonzero(~s.h_exited & (s.h_entry <= t) & (rng.random(s.H) < P.EXIT_MOVED_AWAY / 365))
    for h in moving:
        exit_household(s, int(h), t, "moved_away")
    # children
    idx = np.flatnonzero(s.active)
    age = s.age0[idx] + t / 365.25
    aged = idx[age >= P.AGE_OUT]
    for c in aged:
        exit_child(s, int(c), t, "aged_out")


def monthly_health(s: SimState, t: int) -> None:
    """Caregivers' health worsens with age (§3.2 G3 [D]); severe illness can end in death."""
    rng = s.rng
    has = (s.carer >= 0) & ~s.carer_gone & ~s.h_exited
    age = s.carer_age0 + t / 365.25
    p_worse = P.HEALTH_WORSEN_MONTHLY * np.exp(P.HEALTH_AGE_SLOPE * (age - 60))
    worse = has & (s.carer_health <= 1) & (rng.random(s.H) < p_worse)
    to = np.where(s.carer_health[worse] == 0, np.where(rng.random(worse.sum()) < 0.7, 1, 2), 2)
    s.carer_health[worse] = to
    p_die = P.DEATH_MONTHLY_SEVERE * np.exp(P.HEALTH_AGE_SLOPE * (age - 70))
    die = has & (s.carer_health == 2) & (rng.random(s.H) < p_die) & ~worse
    recover = has & (s.carer_health == 2) & ~die & ~worse & (rng.random(s.H) < 0.04)
    s.carer_health[recover] = 1
    # a fall into severe illness is sometimes an acute incapacity episode (P_ACUTE_INCAPACITY [D])
    acute = worse & (s.carer_health == 2) & (rng.random(s.H) < P.P_ACUTE_INCAPACITY)
    s.acute_until[acute] = t + rng.integers(*P.ACUTE_INCAPACITY_DAYS, size=int(acute.sum()))
    s.situations.extend(("caregiver_incapacitated", int(h), t) for h in np.flatnonzero(acute))
    ended = (s.acute_until >= 0) & ((s.acute_until <= t) | recover | die)
    s.acute_until[ended] = -1
    changed = worse | recover | ended
    for h in np.flatnonzero(changed):
        mark_dirty_later(s, int(h), t)
    for h in np.flatnonzero(die):
        caregiver_dies(s, int(h), t + int(rng.integers(0, 28)))
