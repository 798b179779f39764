"""Parents and contact: Spring Festival returns and departures, contact lapses and lost contact, calls."""

from __future__ import annotations

import numpy as np

from simulation import params as P
from simulation.engine import caregiving, recording
from simulation.engine.state import (
    NEVER,
    SimState,
)


def spring_festival(s: SimState, t: int) -> None:
    for sf in s.sf_days:
        if t == max(sf + P.SF_WINDOW[0] - 1, 0):
            cand = np.flatnonzero(s.away & ~s.h_exited & ~s.pop.h_sf_never & (s.h_entry <= t))
            p = P.P_SF_RETURN * np.where(s.pop.h_call_rate[cand] >= 0.05, 1.0, 0.6)
            go = cand[s.rng.random(len(cand)) < p]
            s.home_start[go] = np.maximum(sf + s.rng.integers(P.SF_WINDOW[0], 0, len(go)), t + 1)
            stay = s.rng.integers(P.SF_STAY_DAYS[0], P.SF_STAY_DAYS[1] + 1, len(go))
            s.home_until[go] = s.home_start[go] + stay
    arrive = np.flatnonzero(s.home_start == t)
    if len(arrive):
        s.home[arrive] = True
        s.last_contact[arrive] = t
        s.lapse[arrive] = False
        contact_rows(s, arrive, t, channel="parent_home_visit", source="carer_report")
        for h in arrive:
            s.dirty.add(int(h))
    leave = np.flatnonzero(s.home_until == t)
    if len(leave):
        s.home_until[leave] = NEVER
        s.home_start[leave] = NEVER
        stay = s.rng.random(len(leave)) < P.EXIT_PARENTS_RETURNED / 0.68
        for h in leave[stay]:
            caregiving.exit_household(s, int(h), t, "parents_returned")
        gone = leave[~stay]
        s.home[gone] = False
        s.last_contact[gone] = t
        kids = s.children_of(gone)
        s.M[kids] += P.SEPARATION_SHOCK  # §3.7 S3 separation dip after parents leave
        for h in gone:
            s.dirty.add(int(h))


def contact_rows(
    s: SimState, hs: np.ndarray, t: int, channel: str | None = None, source: str = "app_log"
) -> None:
    kids = s.children_of(hs)
    kids = kids[s.active[kids]]
    if len(kids) == 0:
        return
    h = s.hh[kids]
    rng = s.rng_rec  # call details are records only
    fa = s.pop.h_father_away[h]
    ma = s.pop.h_mother_away[h]
    use_father = fa & (~ma | (rng.random(len(kids)) < 0.5))
    parent = np.where(use_father, s.pop.h_father[h], s.pop.h_mother[h])
    n = len(kids)
    if channel is None:
        ch = rng.choice(
            np.array(["voice_call", "video_call", "text_msg"], dtype=object), n, p=[0.55, 0.35, 0.10]
        )
    else:
        ch = np.full(n, channel, dtype=object)
    dur = np.exp(np.log(P.CALL_DURATION_MEDIAN_MIN) + rng.normal(0, 0.8, n)).round(1)
    dur = np.where(np.isin(ch, ["voice_call", "video_call"]), dur, np.nan)
    init = rng.choice(np.array(["parent", "child", "carer"], dtype=object), n, p=[0.7, 0.2, 0.1])
    lag = s.lag(1.0, n) if source == "app_log" else rng.integers(1, 40, n)
    s.rec.contacts.append(
        {
            "child": kids,
            "parent": parent,
            "day": np.full(n, t),
            "hour": rng.uniform(7, 22, n),
            "channel": ch,
            "duration": dur,
            "initiated_by": np.where(ch == "parent_home_visit", None, init),
            "source": np.full(n, source, dtype=object),
            "recorded": t + lag,
        }
    )


def daily_contact(s: SimState, t: int) -> None:
    """Contact lapses start and end; calls happen when parents are away and reachable (§3.3 C1, C5)."""
    rng = s.rng
    reach = s.away & ~s.home & ~s.h_exited & (s.h_entry <= t)
    onset = P.LAPSE_ONSET_YEARLY / 365 * np.where(s.pop.h_divorced, 2.0, 1.0)
    start_lapse = reach & ~s.lapse & (rng.random(s.H) < onset)
    s.lapse[start_lapse] = True
    s.lapse_start[start_lapse] = t
    end_lapse = s.lapse & (rng.random(s.H) < 1.0 / P.LAPSE_MEAN_DAYS)
    s.lapse[end_lapse] = False
    for h in np.flatnonzero(end_lapse & s.lost_recorded):
        s.lost_recorded[h] = False
        recording.migration_version(s, int(h), t + int(s.lag(20)), lost_since=None)
        s.dirty.add(int(h))
    lost = reach & s.lapse & ~s.lost_recorded & (t - s.lapse_start >= P.LOST_CONTACT_DAYS)
    for h in np.flatnonzero(lost):
        s.lost_recorded[h] = True
        s.situations.append(("lost_contact", int(h), t))
        recording.migration_version(s, int(h), t + int(s.lag(30)), lost_since=int(s.lapse_start[h]))
        s.dirty.add(int(h))
    calls = reach & ~s.lapse & (rng.random(s.H) < s.pop.h_call_rate / 7.0)
    s.last_contact[calls] = t
    logged = np.flatnonzero(calls & s.pop.h_app_log)
    if len(logged):
        contact_rows(s, logged, t)
