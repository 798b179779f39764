"""School and attendance: enrolment each school year, daily attendance, school events, the annual
mental-health screening, disengagement drift, bullying and teachers' concerns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import params as P
from simulation.engine.state import (
    NEVER,
    SimState,
    sigmoid,
)
from simulation.population import grade_at


def assign_school(s: SimState, idx: np.ndarray, t: int) -> None:
    when = s.cal.dates[t]
    grade = grade_at(s.pop.c_birth[idx], when)
    repeat = s.rng_school.random(s.N)[idx] < P.P_GRADE_REPEAT  # full length: aligned across arms
    grade = np.where((s.grade[idx] > 0) & repeat & (t > 0), s.grade[idx], grade)
    s.grade[idx] = grade
    v = s.c_village[idx]
    tw = s.county.village_township[v]
    school = np.select(
        [grade <= 0, grade <= 6, grade <= 9],
        [None, s.county.primary_school[v], s.county.township_school[tw]],
        s.county.senior_school,
    )
    senior_ok = s.u_senior[idx] < 0.6
    enrol = (grade >= 1) & ((grade <= 9) | senior_ok) & ~(s.dropped[idx] & s.dropout_known[idx])
    enrol &= s.active[idx] | (s.c_entry[idx] == t)
    # a few children were already out of school before the window (E1)
    if t == 0:
        enrol &= ~((grade >= 7) & (s.rng_school.random(s.N)[idx] < 0.02))
        s.dropped[idx[(grade >= 1) & (grade <= 9) & ~enrol]] = True
        s.dropout_known[idx[(grade >= 1) & (grade <= 9) & ~enrol]] = True
    old_school = s.school[idx].copy()
    was_boarding = s.boarding[idx].copy()
    s.school[idx] = np.where(enrol, school, None)
    s.school_i[idx] = pd.Index(s.school_ids).get_indexer(s.school[idx])
    p_board = np.select([grade >= 7, grade >= 4], [P.P_BOARDING_JUNIOR, P.P_BOARDING_PRIMARY], 0.0)
    s.boarding[idx] = enrol & (s.u_board[idx] < p_board)
    s.enrolled[idx] = enrol
    if t > 0:
        for i, c in enumerate(idx):
            if not enrol[i] or not s.active[c]:
                continue
            if old_school[i] != s.school[c]:
                school_event(s, int(c), t, "enrol")
            if s.boarding[c] and not was_boarding[i]:
                school_event(s, int(c), t, "boarding_start")
            elif was_boarding[i] and not s.boarding[c]:
                school_event(s, int(c), t, "boarding_end")
            if repeat[i] and grade[i] == s.grade[c] and old_school[i] == s.school[c]:
                school_event(s, int(c), t, "grade_repeat")


def school_year(s: SimState, t: int) -> None:
    idx = np.flatnonzero(s.active)
    assign_school(s, idx, t)


def school_event(
    s: SimState,
    c: int,
    t: int,
    kind: str,
    concern: str | None = None,
    screening: tuple[float, bool] | None = None,
) -> None:
    school = s.school[c] or s.county.primary_school[s.c_village[c]]
    s.n_event += 1
    s.rec.school_events.append(
        {
            "event_id": f"SE{s.n_event:08d}",
            "child": c,
            "school_id": school,
            "day": t,
            "event_type": kind,
            "screening_instrument": P.SCREEN_INSTRUMENT if screening else None,
            "screening_score": screening[0] if screening else None,
            "screening_positive": screening[1] if screening else None,
            "teacher_concern": concern,
            "recorded": t + int(s.lag(3.0)),
        }
    )


def attendance(s: SimState, t: int) -> None:
    idx = np.flatnonzero(s.enrolled & s.active & (s.school_i >= 0))
    if len(idx) == 0:
        return
    h = s.hh[idx]
    g = s.g_today[h]
    age = s.age0[idx] + t / 365.25
    neg = s.neglect(s.g_today, t)[h]
    logit = (
        P.ATTEND_BASE_LOGIT
        + 1.1 * np.maximum(s.E[idx], 0)
        + 0.25 * np.maximum(s.M[idx], 0)
        + 0.3 * g * (age >= 10)
        + P.ATTEND_NEGLECT * neg
    )
    p_unexc = np.where(s.dropped[idx], 0.97, sigmoid(logit))
    p_exc = 0.02 + 0.02 * (s.pop.c_illness[idx] != "none") + 0.01 * (s.pop.c_disability[idx] >= 0)
    u = s.rng_school.random(s.N)[idx]
    status = np.select(
        [u < p_unexc, u < p_unexc + p_exc, u < p_unexc + p_exc + 0.015, u < p_unexc + p_exc + 0.02],
        [2, 1, 3, 4],
        0,
    ).astype(np.int8)
    s.rec.attendance.append((idx.astype(np.int32), np.full(len(idx), t, np.int32), status, s.school_i[idx]))
    unexc = status == 2
    s.streak[idx] = np.where(unexc, s.streak[idx] + 1, 0)
    flag = idx[(s.streak[idx] == 5) & (t - s.flagged_day[idx] > 30)]
    for c in flag:
        s.flagged_day[c] = t
        school_event(s, int(c), t, "dropout_flag")


def screening(s: SimState, t: int) -> None:
    """Annual mental-health screening (§3.4, PHQ-9): score from the latent distress, with noise."""
    days = [d for d in range(t, min(t + 30, s.n_days)) if s.cal.is_school_day[d]]
    if not days:
        return
    idx = np.flatnonzero(s.active & s.enrolled & ~s.dropped & (s.grade >= 4))
    score = np.clip(np.round(3.0 + 4.5 * s.M[idx] + s.rng_rec.normal(0, 3.0, len(idx))), 0, 27)
    day = np.array(days)[s.rng_rec.integers(0, len(days), len(idx))]
    for c, sc, d in zip(idx, score, day, strict=True):
        school_event(
            s, int(c), int(d), "mental_health_screening", screening=(float(sc), bool(sc >= P.SCREEN_CUTOFF))
        )


def schooling_status(s: SimState, idx: np.ndarray, age: np.ndarray) -> np.ndarray:
    out = np.where(age < 3, "preschool_not_enrolled", "")
    kg = (age >= 3) & (s.grade[idx] <= 0)
    out = np.where(kg, np.where(s.pop.c_kindergarten[idx], "kindergarten", "preschool_not_enrolled"), out)
    level = np.select([s.grade[idx] <= 6, s.grade[idx] <= 9], ["primary", "junior"], "senior_high")
    out = np.where((out == "") & s.enrolled[idx], level, out)
    dropped = (out == "") & (s.grade[idx] <= 9)
    out = np.where(dropped, "dropout_compulsory", out)
    out = np.where(out == "", "not_in_school_14_16", out)
    return out.astype(object)


def returns_to_school(s: SimState, t: int) -> None:
    """Children who drop out and are followed up (控辍保学) return to school on their day."""
    back = np.flatnonzero(s.return_school_day == t)
    for c in back:
        s.return_school_day[c] = NEVER
        if s.active[c]:
            s.dropped[c] = False
            s.dropout_known[c] = False
            s.E[c] = -0.3
            s.drift[c] = 0.0
            assign_school(s, np.array([c]), t)
            school_event(s, int(c), t, "return_to_school")


def weekly_school(s: SimState, t: int) -> None:
    """Disengagement drift, bullying (M7) and teachers' concerns."""
    rng = s.rng_school
    rec = s.rng_rec  # what a concern is tagged with changes only records
    N = s.N
    idx = np.flatnonzero(s.active)
    h = s.hh[idx]
    g = s.g_today
    age = s.age0[idx] + t / 365.25
    school = s.enrolled[idx] & ~s.dropped[idx]
    # disengagement drift: a minority start drifting away from school (rises before dropout) [D]
    p_drift = 0.0003 * (1 + 3 * (age >= 12)) * np.exp(0.5 * np.maximum(s.M[idx], 0) + 0.5 * g[h])
    start = school & (s.drift[idx] == 0) & (rng.random(N)[idx] < p_drift)
    s.drift[idx[start]] = rng.uniform(2.0, 3.5, N)[idx[start]]
    stop = rng.random(N)[idx] < 1 / 40
    s.drift[idx[stop]] = 0.0
    mother = s.pop.h_mother_away[h] & ~s.home[h]
    target = (
        -0.6
        + 0.35 * s.M[idx]
        + 0.3 * g[h]
        + 0.2 * (age >= 13)
        + 0.3 * mother
        + 0.3 * s.pop.c_frailty[idx]
        + s.drift[idx]
        - 0.5 * s.support(t)[h]
    )
    s.E[idx] += (target - s.E[idx]) / 6.0 + rng.normal(0, 0.1, N)[idx]
    # bullying (M7) and teacher concerns, in school weeks only
    in_term = s.cal.is_school_day[max(0, t - 4) : t + 1].any()
    if in_term:
        p_bully = P.P_BULLIED_WEEKLY * (1 + s.boarding[idx])
        bullied = school & (rng.random(N)[idx] < p_bully)
        s.M[idx[bullied]] += 0.5
        s.bullied_day[idx[bullied]] = t
        n = s.neglect(g, t)[h]
        p_concern = (
            0.002 + 0.01 * np.maximum(s.M[idx], 0) + 0.012 * np.maximum(s.E[idx], 0) + P.TEACHER_NEGLECT * n
        )
        p_concern += 0.3 * bullied + 0.2 * (t - s.injury_day[idx] < 7)
        raised = np.flatnonzero(school & (rng.random(N)[idx] < p_concern))
        for j in raised:
            c = int(idx[j])
            tags = []
            if s.M[c] > 0.8 or rec.random() < 0.3:
                tags.append("mood")
            if s.E[c] > 0.8:
                tags.append("absenteeism")
            if n[j] > 1.0 and rec.random() < 0.6:
                tags.append("hygiene")
            if t - s.injury_day[c] < 7:
                tags.append("injury")
            if s.bullied_day[c] == t:
                tags.append("bullying_victim")
            if not tags:
                tags.append("behaviour")
            school_event(s, c, t - int(rec.integers(0, 5)), "teacher_concern", concern=";".join(tags))
