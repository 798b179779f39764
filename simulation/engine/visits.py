"""Visits: each week the village's 儿童主任 visits whom the policy picks; supervisors follow up
escalations; what a visit records and what the worker learns from it."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from simulation import params as P
from simulation.engine import outcomes
from simulation.engine.state import (
    ASSESS,
    MOODS,
    NEVER,
    SimState,
    join_flags,
    sigmoid,
)
from simulation.policy import TIER_INTERVAL, VillageView


def weekly_visits(s: SimState, t: int) -> None:
    rng = s.rng_visit
    today = s.start + timedelta(days=t)
    week0 = t - int(s.cal.dates[t].weekday())
    sweep = bool(s.sweep[t])
    chosen: list[np.ndarray] = []
    for v, members in enumerate(s.village_members):
        kids = members[s.active[members]]
        if len(kids) == 0:
            continue
        cap = s.county.director_cap[v] * 12 / 52 * (P.SWEEP_CAPACITY_MULT if sweep else 1.0)
        # keyed by village and week, so every arm has the same capacity
        cap = int(cap) + int(s.keyed(5, v, t).random() < cap - int(cap))
        view = VillageView(
            day=t,
            children=kids,
            capacity=cap,
            sweep=sweep,
            last_visit_day=s.k_last_visit[kids],
            assessment=s.k_assess[kids],
            guardianship=s.k_guard[kids],
            kunjing=s.k_kunjing[kids],
            last_concern=s.k_concern[kids],
            last_incident_day=s.k_incident[kids],
            open_water=s.k_water[kids],
            next_due_day=s.k_next_due[kids],
        )
        pick = np.asarray(s.policy(today, view), dtype=np.int64)[:cap]
        chosen.append(pick)
    kids = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
    days = np.clip(week0 + rng.integers(0, 5, len(kids)), np.maximum(s.c_entry[kids], 0), t)
    worker = s.county.director_id[s.c_village[kids]]
    vtype = visit_types(s, kids, t, sweep)
    record_visits(s, kids, days, worker, "children_director", vtype)
    esc = [(c, d) for c, d in s.escalations if d <= t]
    s.escalations = [(c, d) for c, d in s.escalations if d > t]
    esc = [(c, d) for c, d in esc if s.active[c] and d < s.n_days]
    if esc:
        ek = np.array([c for c, _ in esc])
        ed = np.array([d for _, d in esc])
        sup = s.county.supervisor_id[s.county.village_township[s.c_village[ek]]]
        record_visits(
            s, ek, ed, sup, "supervisor", np.full(len(ek), "escalation", dtype=object), force_home=True
        )


def visit_types(s: SimState, kids: np.ndarray, t: int, sweep: bool) -> np.ndarray:
    first = (s.k_last_visit[kids] < -NEVER // 2) & (s.c_entry[kids] > 0)
    red = t - s.k_incident[kids] <= 60
    follow = red | s.k_concern[kids]
    u = s.rng_visit.random(len(kids))
    reassess = ((s.k_assess[kids] == 2) & (u < 0.3)) | (u > 0.92)  # poor ratings, and ~yearly [D]
    return np.select(
        [first, follow, np.full(len(kids), sweep), reassess],
        ["new_registration", "follow_up", "holiday_safety_sweep", "reassessment"],
        "routine",
    ).astype(object)


def record_visits(
    s: SimState,
    kids: np.ndarray,
    days: np.ndarray,
    worker: np.ndarray,
    role: str,
    vtype: np.ndarray,
    force_home: bool = False,
) -> None:
    if len(kids) == 0:
        return
    rng = s.rng_visit
    n = len(kids)
    h = s.hh[kids]
    t = int(days.max())
    g = s.guardian(t)
    neg = s.neglect(g, t)[h]
    gc = g[h]
    dibao = s.pop.h_dibao[h]
    modes = np.array(list(P.VISIT_MODE), dtype=object)
    mode = modes[rng.choice(len(modes), n, p=list(P.VISIT_MODE.values()))]
    mode = np.where(
        force_home | (vtype == "new_registration") | (vtype == "holiday_safety_sweep"), "home", mode
    )
    mode = np.where((mode == "school") & ~s.enrolled[kids], "home", mode)
    home = mode == "home"
    inperson = mode != "phone"
    alone = np.isin(s.guard[h], [5, 6]) | s.carer_gone[h]
    seen = np.where(mode == "phone", rng.random(n) < 0.6, rng.random(n) < np.where(home, 0.92, 1.0))
    carer_present = np.where(
        mode == "school", None, np.where(alone, rng.random(n) < 0.1, rng.random(n) < 0.9)
    )
    living = np.clip(np.round(4.3 - 0.7 * neg - 0.6 * dibao + rng.normal(0, 0.7, n)), 1, 5)
    food = rng.random(n) < sigmoid(-3.4 + 1.2 * neg + 0.8 * dibao)
    hygiene = rng.random(n) < sigmoid(-3.0 + 1.4 * neg)
    neglect_sign = rng.random(n) < sigmoid(-3.6 + 1.6 * neg)
    injury_recent = days - s.injury_day[kids] < 14
    injury_sign = rng.random(n) < (0.01 + 0.5 * injury_recent + 0.15 * s.pop.h_abuse[h])
    mood_ok = rng.random(n) < sigmoid(2.2 - 1.3 * s.M[kids])
    mood = np.where(mood_ok, "normal", MOODS[rng.integers(0, 4, n)])
    rating_score = gc + rng.normal(0, 0.45, n)
    rating = np.digitize(rating_score, [0.45, 1.1])
    water = s.pop.h_open_water[h] & (rng.random(n) < 0.85)
    hazards_a = join_flags(
        {
            "open_water_nearby": water,
            "unsafe_housing": dibao & (rng.random(n) < 0.2),
            **{
                name: rng.random(n) < p
                for name, p in (
                    ("electrical", 0.04),
                    ("fire", 0.02),
                    ("traffic", 0.05),
                    ("dogs", 0.04),
                    ("pesticides", 0.03),
                )
            },
        }
    )
    need = {
        "economic": dibao | food,
        "medical": (s.pop.c_disability[kids] >= 0) | (s.pop.c_illness[kids] != "none"),
        "psychological": mood != "normal",
        "education": s.E[kids] > 1.5,
        "guardianship": rating == 2,
    }
    needs = join_flags(need)
    referred = {k: v & (rng.random(n) < 0.3) for k, v in need.items()}
    referrals = join_flags(
        {
            "civil_affairs": referred["economic"] | referred["guardianship"],
            "education": referred["education"],
            "health": referred["medical"],
            "social_work": referred["psychological"],
        }
    )
    # what the worker now knows
    s.k_last_visit[kids] = np.maximum(s.k_last_visit[kids], days)
    s.k_assess[kids[inperson | (mode == "phone")]] = rating[inperson | (mode == "phone")]
    # the registry's 监护情况评估 changes only at a formal (re)assessment, not at every visit
    formal = home & np.isin(vtype, ["reassessment", "new_registration", "escalation"])
    s.reg_assess[kids[formal]] = rating[formal]
    concern = (home & (neglect_sign | hygiene)) | (inperson & injury_sign) | (seen & (mood != "normal"))
    s.k_concern[kids] = concern
    s.k_water[kids[home & water]] = True
    view_tier = np.select(
        [
            days - s.k_incident[kids] <= 60,
            (rating == 2) | concern | np.isin(s.k_guard[kids], [5, 6]),
        ],
        [0, 1],
        2 + (rating == 0),
    )
    next_due = days + TIER_INTERVAL[view_tier]
    s.k_next_due[kids] = next_due
    what_a_visit_does(
        s,
        kids,
        days,
        h,
        vtype,
        home & water,
        home & (neglect_sign | hygiene),
        inperson & seen,
        home & ((rating == 2) | alone),
    )
    # finding outcomes nobody had reported (home visits only)
    for kind, (window, p) in P.DETECT_AT_VISIT.items():
        pend = s.pending[kind][kids]
        for i in np.flatnonzero(home & seen & (pend >= 0)):
            o = int(pend[i])
            if 0 <= days[i] - s.o_day[o] <= window and rng.random() < p:
                s.pending[kind][kids[i]] = -1
                outcomes.detect(s, o, int(days[i]), "village_committee")
    # parents' contact as told at the visit, for families whose calls are not logged (§2 F4 source)
    self_report = home & s.away[h] & ~s.pop.h_app_log[h] & ~s.h_exited[h] & (s.last_contact[h] > -NEVER)
    for i in np.flatnonzero(self_report):
        c = int(kids[i])
        hh = int(h[i])
        parent = s.pop.h_father[hh] if s.pop.h_father_away[hh] else s.pop.h_mother[hh]
        lc = int(min(s.last_contact[hh], days[i]))
        s.rec.contacts.append(
            {
                "child": np.array([c]),
                "parent": np.array([parent]),
                "day": np.array([lc]),
                "hour": np.array([12.0]),
                "channel": np.array(["voice_call"], dtype=object),
                "duration": np.array([np.nan]),
                "initiated_by": np.array([None], dtype=object),
                "source": np.array(["visit_self_report"], dtype=object),
                "recorded": np.array([days[i] + 1]),
            }
        )
    lag = s.lag(P.VISIT_RECORD_LAG_MEAN, n, rng=rng)
    late = rng.random(n) < 0.05
    lag = np.where(late, rng.integers(20, 45, n), lag)
    blank = lambda: rng.random(n) < P.P_FIELD_MISSING  # noqa: E731
    s.rec.visits.append(
        {
            "child": kids,
            "worker_id": worker,
            "worker_role": role,
            "day": days,
            "visit_type": vtype,
            "mode": mode,
            "child_seen": seen,
            "carer_present": np.where(blank(), None, carer_present),
            "living_conditions": np.where(home & ~blank(), living, np.nan),
            "food_insecurity": np.where(home & ~blank(), food, None),
            "hygiene_issue": np.where(inperson & ~blank(), hygiene, None),
            "hazards": np.where(home, hazards_a, None),
            "signs_of_injury": np.where(inperson & seen & ~blank(), injury_sign, None),
            "signs_of_neglect": np.where(home & ~blank(), neglect_sign, None),
            "child_mood": np.where(seen & ~blank(), mood, None),
            "carer_capacity_rating": np.where(mode != "school", ASSESS[rating], None),
            "needs_identified": needs,
            "referrals": referrals,
            "next_visit_due": np.where(blank(), np.nan, next_due),
            "recorded": days + lag,
        }
    )


def what_a_visit_does(
    s: SimState,
    kids: np.ndarray,
    days: np.ndarray,
    h: np.ndarray,
    vtype: np.ndarray,
    water_found: np.ndarray,
    neglect_found: np.ndarray,
    met: np.ndarray,
    poor_care: np.ndarray,
) -> None:
    """The direct effects of visits (simulation.effects; all zero in the `none` and `current` presets)."""
    fx = s.effects
    if fx.hazard_addressed > 0:
        s.protect(("drowning",), kids[water_found], days[water_found], fx.hazard_days, fx.hazard_addressed)
        s.protect(("neglect",), kids[neglect_found], days[neglect_found], fx.hazard_days, fx.hazard_addressed)
    if fx.holiday_advice > 0:
        sweep = met & (vtype == "holiday_safety_sweep")
        kinds = ("drowning", "injury", "unsupervised")
        s.protect(kinds, kids[sweep], days[sweep], fx.advice_days, fx.holiday_advice)
    if fx.escalation_p > 0 and poor_care.any():
        up = poor_care & (s.rng_visit.random(len(kids)) < fx.escalation_p)
        s.support_until[h[up]] = np.maximum(s.support_until[h[up]], days[up] + fx.escalation_days)
