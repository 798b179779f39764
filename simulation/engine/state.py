"""The simulation's state: every array, record list and random stream the day loop reads and writes, with the
latent quantities derived from them. The modules beside it (caregiving, schooling, contact, outcomes, visits,
recording) are functions of this state; `simulation.engine.loop` orders them in time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from simulation import hazards as HZ
from simulation import params as P
from simulation.effects import PRESETS, VisitEffects
from simulation.geography import County
from simulation.policy import VisitPolicy
from simulation.population import G, Population
from simulation.school_calendar import CalendarArrays, breaks_starting, spring_festival

NEVER = 10**6
ATT_CODES = ("present", "absent_excused", "absent_unexcused", "late", "left_early")
MOODS = np.array(["low", "anxious", "withdrawn", "agitated"], dtype=object)
ASSESS = np.array(["good", "fair", "poor"], dtype=object)
CASE_TYPES = {"abuse", "neglect", "unsupervised", "missing", "self_harm", "drowning", "dropout"}
T = {name: i for i, name in enumerate(HZ.OUTCOME_TYPES)}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def join_flags(flags: dict[str, np.ndarray]) -> np.ndarray:
    """Set-valued cells: the names whose flag is set, joined by ';' (None when none), without a row loop."""
    names = list(flags)
    code = np.zeros(len(next(iter(flags.values()))), np.int64)
    for bit, name in enumerate(names):
        code |= np.asarray(flags[name], bool).astype(np.int64) << bit
    uniq, inverse = np.unique(code, return_inverse=True)
    text = np.array(
        [";".join(n for b, n in enumerate(names) if u >> b & 1) or None for u in uniq], dtype=object
    )
    return text[inverse]


@dataclass
class Records:
    """Everything the county's systems recorded, plus the truth. Day numbers count from the start date."""

    attendance: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # (child, day, status, school)
    contacts: list[dict[str, np.ndarray]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    school_events: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    benefits: list[dict[str, Any]] = field(default_factory=list)
    household: list[dict[str, Any]] = field(default_factory=list)
    migration: list[dict[str, Any]] = field(default_factory=list)
    registry: list[pd.DataFrame] = field(default_factory=list)
    truth_risk: list[pd.DataFrame] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)


class SimState:
    """Arrays over children (N) and households (H); day numbers count from the start date."""

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
        self.county, self.cal, self.pop, self.rng, self.policy = county, cal, pop, rng, policy
        self.effects = effects or PRESETS["current"]
        # Separate random streams (common random numbers): `rng` moves the world (households, caregivers,
        # parents, school places); the others are spawned from it without consuming its draws. Draws that a
        # policy could shift are full-length (one per child) or keyed by (child, day), so visiting someone
        # else does not reshuffle outcomes, detection or anybody's latent state elsewhere.
        streams = rng.spawn(5)
        self.rng_out, self.rng_school, self.rng_visit, self.rng_rec, self.rng_misc = streams
        self.key = int(rng.spawn(1)[0].integers(0, 2**62))
        self.start, self.end = start, end
        self.n_days = (end - start).days + 1
        self.rec = Records()
        N, H = pop.n_children, pop.n_households
        self.N, self.H = N, H
        hh = pop.c_household
        self.hh = hh
        sizes = np.bincount(hh, minlength=H)
        self.h_first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.h_size = sizes
        self.c_village = pop.h_village[hh]

        # registry snapshots: the start date and each quarter start after it (DOMAIN §1.5 [D])
        qs = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="QS")
        self.snap_days = sorted({0} | {int((q - pd.Timestamp(start)).days) for q in qs})
        last_snap = self.snap_days[-1]
        entry = pop.h_entry_day.copy()
        entry[(entry > 0) & (entry >= last_snap)] = NEVER  # would first show after the last snapshot
        self.h_entry = entry
        self.c_entry = entry[hh]

        # child state
        self.active = self.c_entry == 0
        self.exit_day = np.full(N, NEVER)
        self.exit_reason = np.full(N, None, dtype=object)
        start64 = np.datetime64(start, "D")
        self.age0 = (start64 - pop.c_birth).astype(np.int64) / 365.25
        self.narrow = pop.h_lbc[hh] <= 1
        self.both_away0 = pop.h_lbc[hh] == 0
        self.m_base = P.BOTH_AWAY_DISTRESS * self.both_away0 + 0.15 * (self.age0 > 11) + 0.3 * pop.c_frailty
        self.M = self.m_base + rng.normal(0, 0.3, N)
        self.E = rng.normal(-0.6, 0.3, N)
        self.drift = np.zeros(N)
        self.dropped = np.zeros(N, bool)
        self.dropout_known = np.zeros(N, bool)
        self.return_school_day = np.full(N, NEVER)
        self.enrolled = np.zeros(N, bool)
        self.grade = np.zeros(N, int)
        self.school = np.full(N, None, dtype=object)
        self.school_ids = np.array(county.schools["school_id"], dtype=object)
        self.school_i = np.full(N, -1, np.int32)  # index into school_ids, for the attendance table
        self.boarding = np.zeros(N, bool)
        self.u_board = rng.random(N)
        self.u_senior = rng.random(N)
        self.streak = np.zeros(N, np.int16)
        self.flagged_day = np.full(N, -NEVER)
        self.injury_day = np.full(N, -NEVER)
        self.bullied_day = np.full(N, -NEVER)

        # household state
        self.guard = pop.h_guard.copy()
        self.carer = pop.h_caregiver.copy()
        self.second = pop.h_second.copy()
        self.carer_health = pop.h_carer_health.astype(np.int64).copy()
        self.carer_age0 = pop.h_carer_age0.copy()
        self.carer_gone = np.zeros(H, bool)
        self.acute_until = np.full(H, -1)  # primary caregiver acutely incapable until this day [D]
        self.replace_day = np.full(H, NEVER)
        self.away = pop.h_father_away | pop.h_mother_away
        self.home = np.zeros(H, bool)
        self.home_start = np.full(H, NEVER)
        self.home_until = np.full(H, NEVER)
        self.h_exited = np.zeros(H, bool)
        self.lapse = np.zeros(H, bool)
        self.lapse_start = np.full(H, -NEVER)
        self.lost_recorded = np.zeros(H, bool)
        gap = rng.exponential(7.0 / np.maximum(pop.h_call_rate, 0.01))
        self.last_contact = -np.minimum(gap, 400).astype(np.int64)
        self.support_until = np.full(H, -NEVER)
        self.h_version_day = np.full(H, -NEVER)
        self.dirty: set[int] = set()
        self.mig_latest: dict[int, dict[str, dict[str, Any]]] = defaultdict(
            dict
        )  # household -> episode -> row

        # persons (mutable: new caregivers can be added)
        self.p_id = list(pop.p_id)
        self.p_household = list(pop.p_household)
        self.p_relation = list(pop.p_relation)
        self.p_birth_year = list(pop.p_birth_year)
        self.p_name = list(pop.p_name)
        self.p_idno = list(pop.p_idno)
        self.p_phone = list(pop.p_phone)
        self.p_edu = list(pop.p_edu)
        self.p_dead: set[int] = set()
        self.p_health = {
            int(p): ("good" if rng.random() < 0.6 else "chronic_illness") for p in pop.h_second if p >= 0
        }
        # P8 one parent home but incapable: the parent at home is severely ill or disabled (a household
        # member, not the primary caregiver)
        for h in np.flatnonzero(pop.h_guard == G["one_parent_home_incapable"]):
            parent = pop.h_mother[h] if pop.h_father_away[h] else pop.h_father[h]
            self.p_health[int(parent)] = "severe_illness" if rng.random() < 0.5 else "disabled"

        # what workers know
        g0 = self.guardian()
        score = g0[hh] + 0.3 * self.neglect(g0)[hh] + rng.normal(0, 0.35, N)
        cut = np.quantile(score, [P.ASSESSMENT_SHARES["good"], 1 - P.ASSESSMENT_SHARES["poor"]])
        self.k_assess = np.digitize(score, cut).astype(np.int64)
        self.reg_assess = self.k_assess.copy()
        self.k_guard = self.guard[hh].copy()
        self.k_kunjing = (pop.h_kunjing[hh] >= 0) | np.isin(self.k_guard, [5, 6])
        self.k_last_visit = np.where(self.c_entry == 0, -rng.integers(0, 120, N), -NEVER)
        self.k_concern = np.zeros(N, bool)
        self.k_incident = np.full(N, -NEVER)
        self.k_water = pop.h_open_water[hh] & (rng.random(N) < 0.5)
        self.k_next_due = np.full(N, NEVER)

        # outcomes
        self.o_child: list[int] = []
        self.o_type: list[str] = []
        self.o_day: list[int] = []
        self.o_severity: list[str | None] = []
        self.o_detected: list[int] = []
        self.o_incident: list[str | None] = []
        self.pending = {t: np.full(N, -1) for t in P.DETECT_AT_VISIT}
        self.due: dict[int, list[tuple[int, str]]] = defaultdict(list)  # day -> (outcome, reporter)
        self.escalations: list[tuple[int, int]] = []  # (child, day)
        # direct effects of visits on hazards (simulation.effects): multiplier per outcome type and child
        self.protect_mult = np.ones((len(HZ.OUTCOME_TYPES), N))
        self.protect_until = np.full((len(HZ.OUTCOME_TYPES), N), -NEVER)
        # mandatory-report situations as they arise (kind, household, day), for evaluating detection delays
        self.situations: list[tuple[str, int, int]] = []
        self.g_today = np.zeros(H)  # the guardian deficit of the current day (set by the daily step)
        self.benefit_ids: dict[int, list[dict[str, Any]]] = defaultdict(list)  # open benefits per child
        self.n_incident = 0
        self.n_case = 0
        self.n_benefit = 0
        self.n_visit = 0
        self.n_event = 0
        self.n_contact = 0

        # calendar helpers (the calendar runs past `end` so the truth can look 90 days ahead)
        self.season = HZ.seasonal_multipliers(cal.month, cal.holiday)
        self.season_cum = np.concatenate([np.zeros((self.season.shape[0], 1)), self.season.cumsum(axis=1)], 1)
        starts = [b for b in breaks_starting(cal) if b > 0]
        self.sweep = np.zeros(len(cal.dates), bool)
        for b in starts:
            self.sweep[max(0, b - 7 * P.SWEEP_WEEKS) : b] = True
        self.sf_days = [
            cal.index(spring_festival(y))
            for y in range(start.year, end.year + 2)
            if 0 <= cal.index(spring_festival(y)) + P.SF_WINDOW[0] < self.n_days
        ]
        self.village_members = [np.flatnonzero(self.c_village == v) for v in range(len(county.village_codes))]
        # a policy that needs the hidden state (the oracle, the upper bound of an evaluation) is handed it
        bind = getattr(policy, "bind", None)
        if bind is not None:
            bind(self)

    def support(self, t: int = 0) -> np.ndarray:
        """How strongly support (a case, or an escalation) acts on each household today: 0 none."""
        return (self.support_until > t) * self.effects.case_scale

    def guardian(self, t: int = 0) -> np.ndarray:
        carer_age = self.carer_age0 + t / 365.25
        return HZ.guardian_deficit(
            self.guard,
            self.carer_health,
            carer_age,
            self.carer_gone,
            self.home,
            self.support(t),
            acute=self.acute_until > t,
        )

    def neglect(self, g: np.ndarray, t: int = 0) -> np.ndarray:
        return np.maximum(self.pop.h_neglect - 0.4 * self.support(t), 0) + 0.5 * g

    def contact_deficit(self, t: int) -> np.ndarray:
        k = np.clip((t - self.last_contact) / 60.0, 0, 3)
        return np.where(self.away & ~self.home, k, 0.0)

    def rates(self, idx: np.ndarray, t: int, g: np.ndarray, n: np.ndarray) -> np.ndarray:
        h = self.hh[idx]
        return HZ.child_rates(
            age=self.age0[idx] + t / 365.25,
            male=self.pop.c_male[idx],
            guardian=g[h],
            neglect=n[h],
            distress=self.M[idx],
            disengage=self.E[idx],
            frailty=self.pop.c_frailty[idx],
            open_water=self.pop.h_open_water[h],
            abuse=self.pop.h_abuse[h],
            enrolled=self.enrolled[idx] & ~self.dropped[idx],
            lbc=self.narrow[idx],
            mother_away=self.pop.h_mother_away[h] & ~self.home[h],
            contact=self.contact_deficit(t)[h],
        ) * np.where(self.protect_until[:, idx] > t, self.protect_mult[:, idx], 1.0)

    def protect(
        self, kinds: tuple[str, ...], kids: np.ndarray, day: np.ndarray, duration: int, reduction: float
    ) -> None:
        """A visit's direct effect: the hazards `kinds` of `kids` lowered by `reduction` from `day` for
        `duration` days (the stronger of overlapping effects holds until the later end)."""
        if reduction <= 0 or len(kids) == 0:
            return
        for kind in kinds:
            k = HZ.OUTCOME_TYPES.index(kind)
            live = self.protect_until[k, kids] > day
            mult = np.where(live, np.minimum(self.protect_mult[k, kids], 1 - reduction), 1 - reduction)
            self.protect_mult[k, kids] = mult
            self.protect_until[k, kids] = np.maximum(self.protect_until[k, kids], day + duration)

    def keyed(self, salt: int, child: int, day: int) -> np.random.Generator:
        """A stream for one rare event, keyed by what it is about, so it draws the same in every arm."""
        return np.random.default_rng((self.key, salt, child, day))

    def children_of(self, hs: np.ndarray) -> np.ndarray:
        counts = self.h_size[hs]
        starts = self.h_first[hs]
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.repeat(starts, counts) + offs

    def lag(self, mean: float, n: int | None = None, rng: np.random.Generator | None = None) -> Any:
        """Days until something is typed in (geometric); from the recording stream unless told."""
        return (rng or self.rng_rec).geometric(1.0 / (1.0 + mean), n) - 1
