"""The day loop: latent state evolves over all children at once (numpy), outcomes happen whether or not anyone
notices, workers visit by a pluggable policy, and every record a county system would keep is appended to
`Records` with its event day and the day it was entered (`recorded_at`). Rare events (outcomes, detections,
household changes) are handled one by one; everything per child per day is vectorised."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from simulation import hazards as HZ
from simulation import identity
from simulation import params as P
from simulation.geography import AREA6, County
from simulation.policy import TIER_INTERVAL, VillageView, VisitPolicy
from simulation.population import GUARDIANSHIP_CODES, KUNJING_CODES, G, Population, grade_at
from simulation.school_calendar import CalendarArrays, breaks_starting, spring_festival

NEVER = 10**6
ATT_CODES = ("present", "absent_excused", "absent_unexcused", "late", "left_early")
MOODS = np.array(["low", "anxious", "withdrawn", "agitated"], dtype=object)
ASSESS = np.array(["good", "fair", "poor"], dtype=object)
CASE_TYPES = {"abuse", "neglect", "unsupervised", "missing", "self_harm", "drowning", "dropout"}
T = {name: i for i, name in enumerate(HZ.OUTCOME_TYPES)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
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


class Engine:
    def __init__(
        self,
        county: County,
        cal: CalendarArrays,
        pop: Population,
        start: date,
        end: date,
        rng: np.random.Generator,
        policy: VisitPolicy,
    ) -> None:
        self.county, self.cal, self.pop, self.rng, self.policy = county, cal, pop, rng, policy
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
        g0 = self._guardian()
        score = g0[hh] + 0.3 * self._neglect(g0)[hh] + rng.normal(0, 0.35, N)
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

    # ---------------------------------------------------------------- latent quantities
    def _support(self, t: int = 0) -> np.ndarray:
        return self.support_until > t

    def _guardian(self, t: int = 0) -> np.ndarray:
        carer_age = self.carer_age0 + t / 365.25
        return HZ.guardian_deficit(
            self.guard,
            self.carer_health,
            carer_age,
            self.carer_gone,
            self.home,
            self._support(t),
            acute=self.acute_until > t,
        )

    def _neglect(self, g: np.ndarray, t: int = 0) -> np.ndarray:
        return np.maximum(self.pop.h_neglect - 0.4 * self._support(t), 0) + 0.5 * g

    def _contact_deficit(self, t: int) -> np.ndarray:
        k = np.clip((t - self.last_contact) / 60.0, 0, 3)
        return np.where(self.away & ~self.home, k, 0.0)

    def _rates(self, idx: np.ndarray, t: int, g: np.ndarray, n: np.ndarray) -> np.ndarray:
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
            contact=self._contact_deficit(t)[h],
        )

    def _children_of(self, hs: np.ndarray) -> np.ndarray:
        counts = self.h_size[hs]
        starts = self.h_first[hs]
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.repeat(starts, counts) + offs

    def _lag(self, mean: float, n: int | None = None) -> Any:
        return self.rng.geometric(1.0 / (1.0 + mean), n) - 1

    # ---------------------------------------------------------------- main loop
    def run(self, progress: Callable[[int], None] | None = None) -> Records:
        self._school_year(0)
        self._initial_records()
        for t in range(self.n_days):
            d = self.cal.dates[t]
            if t in self.snap_days:
                self._snapshot(t)
            if d.day == 1 or t == 0:
                self._monthly(t)
            self._entries(t)
            if d.month == 9 and d.day == 1 and t > 0:
                self._school_year(t)
            self._spring_festival(t)
            if d.month == 8 and d.day == 20:
                self._migrate_with_parents(t)
            self._daily(t)
            if self.cal.is_school_day[t]:
                self._attendance(t)
            if d.weekday() == 4 or t == self.n_days - 1:
                self._weekly(t)
            self._flush_household_versions(t)
            if progress is not None:
                progress(t)
        self._finish()
        return self.rec

    # ---------------------------------------------------------------- registry, entries and exits
    def _entries(self, t: int) -> None:
        if t == 0:
            return
        new = np.flatnonzero(self.c_entry == t)
        if len(new) == 0:
            return
        self.active[new] = True
        self._assign_school(new, t)
        for h in np.unique(self.hh[new]):
            self._household_version(int(h), t, initial=True)
            self._migration_initial(int(h), t)
            self._benefits_initial(self._children_of(np.array([h])), t)
        for c in new:
            if self.enrolled[c]:
                self._school_event(int(c), t, "transfer_in")

    def _exit_household(self, h: int, t: int, reason: str) -> None:
        kids = self._children_of(np.array([h]))
        kids = kids[self.active[kids]]
        self.h_exited[h] = True
        for c in kids:
            self._exit_child(int(c), t, reason)
        if reason == "parents_returned":
            self.home[h] = True
            self._migration_version(h, t, returned=True)

    def _exit_child(self, c: int, t: int, reason: str) -> None:
        if not self.active[c]:
            return
        self.active[c] = False
        self.exit_day[c] = t
        self.exit_reason[c] = reason
        if self.enrolled[c] and reason in ("migrated_with_parents", "moved_away"):
            self._school_event(c, t, "transfer_out")
        self.enrolled[c] = False
        for b in self._benefit_ids.get(c, []):
            self.rec.benefits.append(
                {**b, "status": "terminated", "end_date": t, "recorded": t + 10 + int(self._lag(15))}
            )
        self._benefit_ids[c] = []

    def _migrate_with_parents(self, t: int) -> None:
        cand = np.flatnonzero(self.away & ~self.h_exited & (self.h_entry <= t))
        go = cand[self.rng.random(len(cand)) < P.EXIT_MIGRATED_WITH_PARENTS]
        for h in go:
            self._exit_household(int(h), t, "migrated_with_parents")

    def _snapshot(self, t: int) -> None:
        prev = max([s for s in self.snap_days if s < t], default=-NEVER)
        exited = (self.exit_day >= prev) & (self.exit_day < t) & (self.c_entry < NEVER)
        idx = np.flatnonzero(self.active | exited)
        if len(idx) == 0:
            return
        rng = self.rng
        pop = self.pop
        h = self.hh[idx]
        when = pd.Timestamp(self.start) + pd.Timedelta(days=t)
        age = self.age0[idx] + t / 365.25
        status = np.where(self.active[idx], "active", "exited")
        reason = np.where(self.active[idx], None, self.exit_reason[idx])
        lbc_codes = np.array(
            ["both_away", "one_away_other_incapable", "one_away_other_home", "not_lbc"], dtype=object
        )
        fa = pop.h_father_away[h] & ~self.h_exited[h]
        ma = pop.h_mother_away[h] & ~self.h_exited[h]
        lbc = np.where(self.h_exited[h], "not_lbc", lbc_codes[pop.h_lbc[h]])
        kj_codes = np.array(KUNJING_CODES, dtype=object)
        kj = np.where(pop.h_kunjing[h] >= 0, kj_codes[np.maximum(pop.h_kunjing[h], 0)], "")
        kj = np.where(pop.c_disability[idx] >= 0, np.where(kj == "", "severe_disability", kj), kj)
        kj = np.where(
            np.isin(self.guard[h], [5, 6]), np.char.add(kj.astype(str), ";guardianship_deficit"), kj
        )
        kj = np.array([s.strip(";") or None for s in kj.astype(str)], dtype=object)
        school_status = self._schooling_status(idx, age)
        incapable = np.isin(self.guard[h], [G["one_parent_home_incapable"]])
        income = np.where(fa | ma, "migrant_work;farming_livestock", "farming_livestock")
        income = np.where(pop.h_dibao[h], np.char.add(income.astype(str), ";govt_assistance"), income)
        entrusted = np.array([self.p_id[p] if p >= 0 else None for p in self.carer[h]], dtype=object)
        entrusted = np.where((fa | ma) & ~incapable & (self.guard[h] != 6), entrusted, None)
        notified = np.where(entrusted != None, rng.random(len(idx)) < 0.7, None)  # noqa: E711
        notified_v = np.where(entrusted != None, rng.random(len(idx)) < 0.8, None)  # noqa: E711
        health = np.where(
            pop.c_disability[idx] >= 0, "disabled", np.where(pop.c_illness[idx] != "none", "ill", "healthy")
        )
        lbc_since = np.where(lbc != "not_lbc", pop.h_depart[h], np.datetime64("NaT"))
        frame = pd.DataFrame(
            {
                "child_id": pop.c_id[idx],
                "name": pop.c_name[idx],
                "id_number": pop.c_idno[idx],
                "snapshot_date": when,
                "status": status,
                "exit_reason": reason,
                "sex": np.where(pop.c_male[idx], "M", "F"),
                "birth_date": pop.c_birth[idx],
                "ethnicity_code": pop.h_ethnicity[h],
                "hukou_registered": pop.c_hukou[idx],
                "residence_village_code": self.county.village_codes[self.c_village[idx]],
                "father_away": fa,
                "mother_away": ma,
                "lbc_type": lbc,
                "lbc_since": lbc_since,
                "kunjing_types": kj,
                "health_status": health,
                "disability_category": pop.c_disability_cat[idx],
                "disability_grade": pd.array(
                    np.where(pop.c_disability[idx] >= 0, pop.c_disability[idx], -1), dtype="Int64"
                ),
                "illness_type": pop.c_illness[idx],
                "schooling_status": school_status,
                "school_id": np.where(self.enrolled[idx], self.school[idx], None),
                "grade_level": pd.array(np.where(self.enrolled[idx], self.grade[idx], -1), dtype="Int64"),
                "boarding": self.boarding[idx] & self.enrolled[idx],
                "guardianship_type": np.array(GUARDIANSHIP_CODES, dtype=object)[self.k_guard[idx]],
                "guardianship_assessment": ASSESS[self.reg_assess[idx]],
                "entrusted_guardian_id": entrusted,
                "entrustment_notified_school": notified,
                "entrustment_notified_village": notified_v,
                "parents_marital_status": np.where(pop.h_divorced[h], "divorced", "married"),
                "family_income_sources": income,
                "assistance_flags": np.where(pop.h_dibao[h], "dibao", None),
                "children_director_id": self.county.director_id[self.c_village[idx]],
                "recorded_day": t
                + rng.integers(P.SNAPSHOT_RECORD_LAG[0], P.SNAPSHOT_RECORD_LAG[1] + 1, len(idx)),
            }
        )
        frame["disability_grade"] = frame["disability_grade"].mask(frame["disability_grade"] < 0)
        frame["grade_level"] = frame["grade_level"].mask(frame["grade_level"] < 0)
        self.rec.registry.append(frame)

    def _schooling_status(self, idx: np.ndarray, age: np.ndarray) -> np.ndarray:
        out = np.where(age < 3, "preschool_not_enrolled", "")
        kg = (age >= 3) & (self.grade[idx] <= 0)
        out = np.where(
            kg, np.where(self.pop.c_kindergarten[idx], "kindergarten", "preschool_not_enrolled"), out
        )
        level = np.select([self.grade[idx] <= 6, self.grade[idx] <= 9], ["primary", "junior"], "senior_high")
        out = np.where((out == "") & self.enrolled[idx], level, out)
        dropped = (out == "") & (self.grade[idx] <= 9)
        out = np.where(dropped, "dropout_compulsory", out)
        out = np.where(out == "", "not_in_school_14_16", out)
        return out.astype(object)

    # ---------------------------------------------------------------- school
    def _assign_school(self, idx: np.ndarray, t: int) -> None:
        when = self.cal.dates[t]
        grade = grade_at(self.pop.c_birth[idx], when)
        repeat = self.rng.random(len(idx)) < P.P_GRADE_REPEAT
        grade = np.where((self.grade[idx] > 0) & repeat & (t > 0), self.grade[idx], grade)
        self.grade[idx] = grade
        v = self.c_village[idx]
        tw = self.county.village_township[v]
        school = np.select(
            [grade <= 0, grade <= 6, grade <= 9],
            [None, self.county.primary_school[v], self.county.township_school[tw]],
            self.county.senior_school,
        )
        senior_ok = self.u_senior[idx] < 0.6
        enrol = (grade >= 1) & ((grade <= 9) | senior_ok) & ~(self.dropped[idx] & self.dropout_known[idx])
        enrol &= self.active[idx] | (self.c_entry[idx] == t)
        # a few children were already out of school before the window (E1)
        if t == 0:
            enrol &= ~((grade >= 7) & (self.rng.random(len(idx)) < 0.02))
            self.dropped[idx[(grade >= 1) & (grade <= 9) & ~enrol]] = True
            self.dropout_known[idx[(grade >= 1) & (grade <= 9) & ~enrol]] = True
        old_school = self.school[idx].copy()
        was_boarding = self.boarding[idx].copy()
        self.school[idx] = np.where(enrol, school, None)
        self.school_i[idx] = pd.Index(self.school_ids).get_indexer(self.school[idx])
        p_board = np.select([grade >= 7, grade >= 4], [P.P_BOARDING_JUNIOR, P.P_BOARDING_PRIMARY], 0.0)
        self.boarding[idx] = enrol & (self.u_board[idx] < p_board)
        self.enrolled[idx] = enrol
        if t > 0:
            for i, c in enumerate(idx):
                if not enrol[i] or not self.active[c]:
                    continue
                if old_school[i] != self.school[c]:
                    self._school_event(int(c), t, "enrol")
                if self.boarding[c] and not was_boarding[i]:
                    self._school_event(int(c), t, "boarding_start")
                elif was_boarding[i] and not self.boarding[c]:
                    self._school_event(int(c), t, "boarding_end")
                if repeat[i] and grade[i] == self.grade[c] and old_school[i] == self.school[c]:
                    self._school_event(int(c), t, "grade_repeat")

    def _school_year(self, t: int) -> None:
        idx = np.flatnonzero(self.active)
        self._assign_school(idx, t)

    def _school_event(
        self,
        c: int,
        t: int,
        kind: str,
        concern: str | None = None,
        screening: tuple[float, bool] | None = None,
    ) -> None:
        school = self.school[c] or self.county.primary_school[self.c_village[c]]
        self.n_event += 1
        self.rec.school_events.append(
            {
                "event_id": f"SE{self.n_event:08d}",
                "child": c,
                "school_id": school,
                "day": t,
                "event_type": kind,
                "screening_instrument": P.SCREEN_INSTRUMENT if screening else None,
                "screening_score": screening[0] if screening else None,
                "screening_positive": screening[1] if screening else None,
                "teacher_concern": concern,
                "recorded": t + int(self._lag(3.0)),
            }
        )

    def _attendance(self, t: int) -> None:
        idx = np.flatnonzero(self.enrolled & self.active & (self.school_i >= 0))
        if len(idx) == 0:
            return
        h = self.hh[idx]
        g = self._g_today[h]
        age = self.age0[idx] + t / 365.25
        neg = self._neglect(self._g_today, t)[h]
        logit = (
            P.ATTEND_BASE_LOGIT
            + 1.1 * np.maximum(self.E[idx], 0)
            + 0.25 * np.maximum(self.M[idx], 0)
            + 0.3 * g * (age >= 10)
            + P.ATTEND_NEGLECT * neg
        )
        p_unexc = np.where(self.dropped[idx], 0.97, _sigmoid(logit))
        p_exc = 0.02 + 0.02 * (self.pop.c_illness[idx] != "none") + 0.01 * (self.pop.c_disability[idx] >= 0)
        u = self.rng.random(len(idx))
        status = np.select(
            [u < p_unexc, u < p_unexc + p_exc, u < p_unexc + p_exc + 0.015, u < p_unexc + p_exc + 0.02],
            [2, 1, 3, 4],
            0,
        ).astype(np.int8)
        self.rec.attendance.append(
            (idx.astype(np.int32), np.full(len(idx), t, np.int32), status, self.school_i[idx])
        )
        unexc = status == 2
        self.streak[idx] = np.where(unexc, self.streak[idx] + 1, 0)
        flag = idx[(self.streak[idx] == 5) & (t - self.flagged_day[idx] > 30)]
        for c in flag:
            self.flagged_day[c] = t
            self._school_event(int(c), t, "dropout_flag")

    # ---------------------------------------------------------------- parents and contact
    def _spring_festival(self, t: int) -> None:
        for sf in self.sf_days:
            if t == max(sf + P.SF_WINDOW[0] - 1, 0):
                cand = np.flatnonzero(self.away & ~self.h_exited & ~self.pop.h_sf_never & (self.h_entry <= t))
                p = P.P_SF_RETURN * np.where(self.pop.h_call_rate[cand] >= 0.05, 1.0, 0.6)
                go = cand[self.rng.random(len(cand)) < p]
                self.home_start[go] = np.maximum(sf + self.rng.integers(P.SF_WINDOW[0], 0, len(go)), t + 1)
                stay = self.rng.integers(P.SF_STAY_DAYS[0], P.SF_STAY_DAYS[1] + 1, len(go))
                self.home_until[go] = self.home_start[go] + stay
        arrive = np.flatnonzero(self.home_start == t)
        if len(arrive):
            self.home[arrive] = True
            self.last_contact[arrive] = t
            self.lapse[arrive] = False
            self._contact_rows(arrive, t, channel="parent_home_visit", source="carer_report")
            for h in arrive:
                self.dirty.add(int(h))
        leave = np.flatnonzero(self.home_until == t)
        if len(leave):
            self.home_until[leave] = NEVER
            self.home_start[leave] = NEVER
            stay = self.rng.random(len(leave)) < P.EXIT_PARENTS_RETURNED / 0.68
            for h in leave[stay]:
                self._exit_household(int(h), t, "parents_returned")
            gone = leave[~stay]
            self.home[gone] = False
            self.last_contact[gone] = t
            kids = self._children_of(gone)
            self.M[kids] += P.SEPARATION_SHOCK  # §3.7 S3 separation dip after parents leave
            for h in gone:
                self.dirty.add(int(h))

    def _contact_rows(
        self, hs: np.ndarray, t: int, channel: str | None = None, source: str = "app_log"
    ) -> None:
        kids = self._children_of(hs)
        kids = kids[self.active[kids]]
        if len(kids) == 0:
            return
        h = self.hh[kids]
        rng = self.rng
        fa = self.pop.h_father_away[h]
        ma = self.pop.h_mother_away[h]
        use_father = fa & (~ma | (rng.random(len(kids)) < 0.5))
        parent = np.where(use_father, self.pop.h_father[h], self.pop.h_mother[h])
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
        lag = self._lag(1.0, n) if source == "app_log" else rng.integers(1, 40, n)
        self.rec.contacts.append(
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

    # ---------------------------------------------------------------- daily processes
    def _daily(self, t: int) -> None:
        rng = self.rng
        g = self._guardian(t)
        self._g_today = g
        n = self._neglect(g, t)
        # contact: lapses start and end; calls happen when parents are away and reachable (§3.3 C1, C5)
        reach = self.away & ~self.home & ~self.h_exited & (self.h_entry <= t)
        onset = P.LAPSE_ONSET_YEARLY / 365 * np.where(self.pop.h_divorced, 2.0, 1.0)
        start_lapse = reach & ~self.lapse & (rng.random(self.H) < onset)
        self.lapse[start_lapse] = True
        self.lapse_start[start_lapse] = t
        end_lapse = self.lapse & (rng.random(self.H) < 1.0 / P.LAPSE_MEAN_DAYS)
        self.lapse[end_lapse] = False
        for h in np.flatnonzero(end_lapse & self.lost_recorded):
            self.lost_recorded[h] = False
            self._migration_version(int(h), t + int(self._lag(20)), lost_since=None)
            self.dirty.add(int(h))
        lost = reach & self.lapse & ~self.lost_recorded & (t - self.lapse_start >= P.LOST_CONTACT_DAYS)
        for h in np.flatnonzero(lost):
            self.lost_recorded[h] = True
            self._migration_version(int(h), t + int(self._lag(30)), lost_since=int(self.lapse_start[h]))
            self.dirty.add(int(h))
        calls = reach & ~self.lapse & (rng.random(self.H) < self.pop.h_call_rate / 7.0)
        self.last_contact[calls] = t
        logged = np.flatnonzero(calls & self.pop.h_app_log)
        if len(logged):
            self._contact_rows(logged, t)
        # caregiver replacement after a death (a relative or the second grandparent takes over)
        for h in np.flatnonzero(self.replace_day == t):
            self._replace_caregiver(int(h), t)
        # moved away (household-level hazard)
        moving = np.flatnonzero(
            ~self.h_exited & (self.h_entry <= t) & (rng.random(self.H) < P.EXIT_MOVED_AWAY / 365)
        )
        for h in moving:
            self._exit_household(int(h), t, "moved_away")
        # children
        idx = np.flatnonzero(self.active)
        age = self.age0[idx] + t / 365.25
        aged = idx[age >= P.AGE_OUT]
        for c in aged:
            self._exit_child(int(c), t, "aged_out")
        idx = np.flatnonzero(self.active)
        h = self.hh[idx]
        k = self._contact_deficit(t)
        support = self._support(t)
        target = self.m_base[idx] + 0.5 * k[h] + 0.25 * g[h] - 0.3 * support[h]
        self.M[idx] += (target - self.M[idx]) / 45.0
        # outcomes: one uniform per child, the type by where it falls in the cumulative hazard
        rates = self._rates(idx, t, g, n) * (self.season[:, t][:, None] / 365.0)
        cum = rates.cumsum(axis=0)
        u = rng.random(len(idx))
        hit = np.flatnonzero(u < cum[-1])
        for j in hit:
            kind = HZ.OUTCOME_TYPES[int(np.searchsorted(cum[:, j], u[j], side="right"))]
            self._outcome(int(idx[j]), t, kind)
        for o, reporter in self.due.pop(t, []):
            self._detect(o, t, reporter)
        back = np.flatnonzero(self.return_school_day == t)
        for c in back:
            self.return_school_day[c] = NEVER
            if self.active[c]:
                self.dropped[c] = False
                self.dropout_known[c] = False
                self.E[c] = -0.3
                self.drift[c] = 0.0
                self._assign_school(np.array([c]), t)
                self._school_event(int(c), t, "return_to_school")

    def _weekly(self, t: int) -> None:
        rng = self.rng
        idx = np.flatnonzero(self.active)
        h = self.hh[idx]
        g = self._g_today
        age = self.age0[idx] + t / 365.25
        school = self.enrolled[idx] & ~self.dropped[idx]
        # disengagement drift: a minority start drifting away from school (rises before dropout) [D]
        p_drift = 0.0003 * (1 + 3 * (age >= 12)) * np.exp(0.5 * np.maximum(self.M[idx], 0) + 0.5 * g[h])
        start = school & (self.drift[idx] == 0) & (rng.random(len(idx)) < p_drift)
        self.drift[idx[start]] = rng.uniform(2.0, 3.5, start.sum())
        stop = rng.random(len(idx)) < 1 / 40
        self.drift[idx[stop]] = 0.0
        mother = self.pop.h_mother_away[h] & ~self.home[h]
        target = (
            -0.6
            + 0.35 * self.M[idx]
            + 0.3 * g[h]
            + 0.2 * (age >= 13)
            + 0.3 * mother
            + 0.3 * self.pop.c_frailty[idx]
            + self.drift[idx]
            - 0.5 * self._support(t)[h]
        )
        self.E[idx] += (target - self.E[idx]) / 6.0 + rng.normal(0, 0.1, len(idx))
        # bullying (M7) and teacher concerns, in school weeks only
        in_term = self.cal.is_school_day[max(0, t - 4) : t + 1].any()
        if in_term:
            p_bully = P.P_BULLIED_WEEKLY * (1 + self.boarding[idx])
            bullied = school & (rng.random(len(idx)) < p_bully)
            self.M[idx[bullied]] += 0.5
            self.bullied_day[idx[bullied]] = t
            n = self._neglect(g, t)[h]
            p_concern = (
                0.002
                + 0.01 * np.maximum(self.M[idx], 0)
                + 0.012 * np.maximum(self.E[idx], 0)
                + P.TEACHER_NEGLECT * n
            )
            p_concern += 0.3 * bullied + 0.2 * (t - self.injury_day[idx] < 7)
            raised = np.flatnonzero(school & (rng.random(len(idx)) < p_concern))
            for j in raised:
                c = int(idx[j])
                tags = []
                if self.M[c] > 0.8 or rng.random() < 0.3:
                    tags.append("mood")
                if self.E[c] > 0.8:
                    tags.append("absenteeism")
                if n[j] > 1.0 and rng.random() < 0.6:
                    tags.append("hygiene")
                if t - self.injury_day[c] < 7:
                    tags.append("injury")
                if self.bullied_day[c] == t:
                    tags.append("bullying_victim")
                if not tags:
                    tags.append("behaviour")
                self._school_event(c, t - int(rng.integers(0, 5)), "teacher_concern", concern=";".join(tags))
        self._visits(t)

    def _monthly(self, t: int) -> None:
        rng = self.rng
        # caregiver health worsens with age (§3.2 G3 [D]); severe illness can end in death
        has = (self.carer >= 0) & ~self.carer_gone & ~self.h_exited
        age = self.carer_age0 + t / 365.25
        p_worse = P.HEALTH_WORSEN_MONTHLY * np.exp(P.HEALTH_AGE_SLOPE * (age - 60))
        worse = has & (self.carer_health <= 1) & (rng.random(self.H) < p_worse)
        to = np.where(self.carer_health[worse] == 0, np.where(rng.random(worse.sum()) < 0.7, 1, 2), 2)
        self.carer_health[worse] = to
        p_die = P.DEATH_MONTHLY_SEVERE * np.exp(P.HEALTH_AGE_SLOPE * (age - 70))
        die = has & (self.carer_health == 2) & (rng.random(self.H) < p_die) & ~worse
        recover = has & (self.carer_health == 2) & ~die & ~worse & (rng.random(self.H) < 0.04)
        self.carer_health[recover] = 1
        # a fall into severe illness is sometimes an acute incapacity episode (P_ACUTE_INCAPACITY [D])
        acute = worse & (self.carer_health == 2) & (rng.random(self.H) < P.P_ACUTE_INCAPACITY)
        self.acute_until[acute] = t + rng.integers(*P.ACUTE_INCAPACITY_DAYS, size=int(acute.sum()))
        ended = (self.acute_until >= 0) & ((self.acute_until <= t) | recover | die)
        self.acute_until[ended] = -1
        changed = worse | recover | ended
        for h in np.flatnonzero(changed):
            self._mark_dirty_later(int(h), t)
        for h in np.flatnonzero(die):
            self._caregiver_dies(int(h), t + int(rng.integers(0, 28)))
        self._truth(t)
        if self.cal.dates[t].month == P.SCREEN_MONTH:
            self._screening(t)

    def _mark_dirty_later(self, h: int, t: int) -> None:
        self.dirty.add(h)

    def _caregiver_dies(self, h: int, t: int) -> None:
        self.carer_gone[h] = True
        self.acute_until[h] = -1
        self.carer_health[h] = 4
        self.p_dead.add(int(self.carer[h]))
        self.dirty.add(h)
        kids = self._children_of(np.array([h]))
        self.M[kids[self.active[kids]]] += 1.5
        self.replace_day[h] = t + int(self.rng.integers(*P.REPLACE_CAREGIVER_DAYS))

    def _replace_caregiver(self, h: int, t: int) -> None:
        rng = self.rng
        self.replace_day[h] = NEVER
        self.carer_gone[h] = False
        self.acute_until[h] = -1
        if self.away[h] and rng.random() < 0.25:
            self._exit_household(h, t, "parents_returned")
            return
        if self.second[h] >= 0:
            p = int(self.second[h])
            self.carer[h] = p
            self.second[h] = -1
            self.carer_health[h] = 0 if self.p_health.get(p) == "good" else 1
            self.carer_age0[h] = self.start.year - self.p_birth_year[p]
        else:
            p = len(self.p_id)
            self.p_id.append(f"P{p + 1:08d}")
            self.p_household.append(h)
            self.p_relation.append("other_relative")
            age = float(np.clip(rng.normal(*P.RELATIVE_AGE[:2]), 25, 70))
            self.p_birth_year.append(int(self.start.year - age))
            self.p_name.append(identity.names(1, rng)[0])
            birth = np.array([np.datetime64(f"{int(self.start.year - age)}-06-15")])
            self.p_idno.append(identity.id_numbers(AREA6, birth, np.array([rng.random() < 0.4]), rng)[0])
            self.p_phone.append(identity.phones(1, rng)[0])
            self.p_edu.append("primary")
            self.carer[h] = p
            self.carer_health[h] = 0
            self.carer_age0[h] = age
            self.guard[h] = G["other_relatives"]
        self.dirty.add(h)

    def _screening(self, t: int) -> None:
        """Annual mental-health screening (§3.4, PHQ-9): score from the latent distress, with noise."""
        days = [d for d in range(t, min(t + 30, self.n_days)) if self.cal.is_school_day[d]]
        if not days:
            return
        idx = np.flatnonzero(self.active & self.enrolled & ~self.dropped & (self.grade >= 4))
        score = np.clip(np.round(3.0 + 4.5 * self.M[idx] + self.rng.normal(0, 3.0, len(idx))), 0, 27)
        day = np.array(days)[self.rng.integers(0, len(days), len(idx))]
        for c, s, d in zip(idx, score, day, strict=True):
            self._school_event(
                int(c), int(d), "mental_health_screening", screening=(float(s), bool(s >= P.SCREEN_CUTOFF))
            )

    # ---------------------------------------------------------------- outcomes and detection
    def _outcome(self, c: int, t: int, kind: str) -> None:
        rng = self.rng
        o = len(self.o_child)
        severity = None
        if kind in ("injury", "drowning"):
            table = P.INJURY_SEVERITY if kind == "injury" else P.DROWNING_SEVERITY
            names = list(table)
            sev_i = rng.choice(len(names), p=[table[s][0] for s in names])
            severity = names[sev_i]
            p_det = table[severity][1]
            reporter = (
                "medical" if severity != "minor" else ("school" if self.cal.is_school_day[t] else "public")
            )
            delay = int(rng.integers(0, 3)) if severity != "minor" else int(self._lag(5))
            if kind == "injury":
                self.injury_day[c] = t
        else:
            p_det, mean_delay = P.DETECT_OTHER.get(kind, (0.0, 10))
            delay = int(self._lag(mean_delay))
            reporter = {
                "dropout": "school",
                "missing": "family",
                "self_harm": "medical",
                "abuse": "school",
                "neglect": "school",
                "unsupervised": "public",
            }[kind]
            if kind in ("abuse", "neglect") and not self.enrolled[c]:
                reporter = "public"
        self.o_child.append(c)
        self.o_type.append(kind)
        self.o_day.append(t)
        self.o_severity.append(severity)
        self.o_detected.append(-1)
        self.o_incident.append(None)
        if kind == "dropout":
            self.dropped[c] = True
        elif kind == "abuse":
            self.M[c] += 0.8
        elif kind in ("missing", "self_harm"):
            self.M[c] += 0.4
        if rng.random() < p_det:
            self.due[t + delay].append((o, reporter))
        elif kind in self.pending:
            self.pending[kind][c] = o
        if severity == "fatal":
            self._exit_child(c, t, "deceased")

    def _detect(self, o: int, t: int, reporter: str) -> None:
        if self.o_detected[o] >= 0:
            return
        c, kind = self.o_child[o], self.o_type[o]
        self.o_detected[o] = t
        incident = self._incident(c, kind, self.o_day[o], t, reporter, self.o_severity[o])
        self.o_incident[o] = incident
        self.k_incident[c] = t
        if kind == "dropout":
            self.dropout_known[c] = True
            self.enrolled[c] = False
            if self.rng.random() < P.P_RETURN_TO_SCHOOL:
                self.return_school_day[c] = t + int(self.rng.integers(30, 120))
        if kind != "dropout" and self.active[c]:
            self.escalations.append((c, t + int(self.rng.integers(0, 4))))

    def _incident(
        self,
        c: int,
        kind: str,
        event: int,
        report: int,
        reporter: str,
        severity: str | None,
        verified: str = "substantiated",
    ) -> str:
        rng = self.rng
        self.n_incident += 1
        iid = f"I{self.n_incident:07d}"
        t16, t20 = None, None
        serious = severity in ("hospitalised", "disability", "fatal")
        mandatory = kind in ("unsupervised", "abuse", "missing", "self_harm") or (
            kind in ("injury", "drowning", "neglect") and (serious or rng.random() < 0.3)
        )
        if mandatory:
            t16, t20 = {
                "unsupervised": ("living_alone_or_missing", "abandoned_or_long_unattended"),
                "missing": ("living_alone_or_missing", "trafficking_missing"),
                "neglect": ("guardian_incapable_or_not_performing", "abandoned_or_long_unattended"),
                "abuse": ("suspected_domestic_violence", "multiple_injury_malnutrition_abuse"),
                "self_harm": ("suspected_accident_or_crime", "selfharm_suicide_poisoning_injury_death"),
                "injury": ("suspected_accident_or_crime", None),
                "drowning": ("suspected_accident_or_crime", "other_imminent_danger"),
            }[kind]
        mech = {"drowning": "drowning"}.get(kind)
        if kind == "injury":
            mech = rng.choice(
                ["fall", "mechanical", "animal_bite", "burn", "traffic", "other"],
                p=[0.34, 0.16, 0.15, 0.12, 0.13, 0.10],
            )  # §3.5 I1 causes
        location = {
            "drowning": "open_water",
            "injury": rng.choice(["home", "school", "road", "farm"], p=[0.32, 0.26, 0.24, 0.18]),
        }.get(kind)
        disposition = {
            "unsupervised": "entrusted_relative",
            "missing": "missing_search",
            "abuse": "dv_stopped_shelter",
        }.get(kind, "none")
        case_id = None
        if (
            verified == "substantiated"
            and (kind in CASE_TYPES or serious)
            and not (kind in ("drowning",) and severity == "minor")
        ):
            case_id = self._open_case(c, report, kind)
        if verified == "substantiated" and kind == "unsupervised":
            h = int(self.hh[c])
            if self.guard[h] in (5, 6):
                self.guard[h] = G["other_relatives"]  # 委托亲属监护 after the report
                self.k_guard[self._children_of(np.array([h]))] = G["other_relatives"]
                self.dirty.add(h)
        self.rec.incidents.append(
            {
                "incident_id": iid,
                "child": c,
                "incident_type": kind,
                "event": event,
                "report": report,
                "reporter_type": reporter,
                "mandatory_report": mandatory,
                "trigger_2016": t16,
                "trigger_2020": t20,
                "injury_mechanism": mech,
                "severity": severity,
                "location": location,
                "emergency_disposition": disposition,
                "verified": verified,
                "case_id": case_id,
                "recorded": report + int(self._lag(2)),
            }
        )
        return iid

    def _open_case(self, c: int, t: int, trigger_kind: str) -> str:
        rng = self.rng
        h = int(self.hh[c])
        g_all = self._guardian(t)
        g = g_all[h] + 0.3 * self._neglect(g_all, t)[h]  # what an assessment of guardianship sees
        self.n_case += 1
        cid = f"K{self.n_case:06d}"

        def dim(x: float) -> int | None:
            return None if rng.random() < 0.05 else int(np.clip(np.round(x + rng.normal(0, 0.5)), 0, 3))

        dims = {
            "dim_safety": dim(
                1.5 if trigger_kind in ("abuse", "unsupervised", "drowning", "missing") else 0.7
            ),
            "dim_guardianship": dim(g),
            "dim_physical_health": dim(0.8 if trigger_kind in ("injury", "drowning") else 0.3),
            "dim_mental_health": dim(self.M[c]),
            "dim_education": dim(max(self.E[c], 0) + (1.5 if trigger_kind == "dropout" else 0)),
            "dim_economic": dim(1.5 * self.pop.h_dibao[h] + 0.3),
        }
        top = (
            max(v for v in dims.values() if v is not None) if any(v is not None for v in dims.values()) else 1
        )
        services = {
            "abuse": "guardianship_guidance;legal_service;psych_counselling",
            "neglect": "guardianship_guidance;social_assistance_enrolment",
            "unsupervised": "guardianship_guidance;temporary_custody",
            "missing": "guardianship_guidance;psych_counselling",
            "self_harm": "psych_counselling;medical_treatment",
            "dropout": "school_reintegration",
        }.get(trigger_kind, "medical_treatment;guardianship_guidance")
        intervention = "admonition" if trigger_kind in ("abuse", "neglect") and rng.random() < 0.3 else "none"
        duration = int(rng.integers(30, 150))
        self.support_until[h] = max(self.support_until[h], t + duration)
        row = {
            "case_id": cid,
            "child": c,
            "opened": t,
            "closed": None,
            "trigger_source": "incident",
            **dims,
            "risk_level": ("green", "yellow", "orange", "red")[top],
            "services_planned": services,
            "guardianship_intervention": intervention,
            "review_due": t + 28,
            "outcome": None,
            "recorded": t + int(rng.integers(1, 6)),
        }
        self.rec.cases.append(row)
        closed = t + duration
        if closed < self.n_days:
            outcome = rng.choice(
                ["resolved", "improved", "unchanged", "deteriorated", "transferred"],
                p=[0.35, 0.35, 0.18, 0.07, 0.05],
            )
            self.rec.cases.append(
                {**row, "closed": closed, "outcome": outcome, "recorded": closed + int(rng.integers(1, 10))}
            )
        if self.pop.h_dibao[h] or (dims["dim_economic"] or 0) >= 2:
            self._benefit(
                c,
                "temporary_assistance",
                t + 10,
                "active",
                "child_welfare_system",
                float(rng.integers(300, 1000)),
                end=t + 100,
            )
        return cid

    # ---------------------------------------------------------------- visits
    def _visits(self, t: int) -> None:
        rng = self.rng
        today = self.start + timedelta(days=t)
        week0 = t - int(self.cal.dates[t].weekday())
        sweep = bool(self.sweep[t])
        chosen: list[np.ndarray] = []
        for v, members in enumerate(self.village_members):
            kids = members[self.active[members]]
            if len(kids) == 0:
                continue
            cap = self.county.director_cap[v] * 12 / 52 * (P.SWEEP_CAPACITY_MULT if sweep else 1.0)
            cap = int(cap) + int(rng.random() < cap - int(cap))
            view = VillageView(
                day=t,
                children=kids,
                capacity=cap,
                sweep=sweep,
                last_visit_day=self.k_last_visit[kids],
                assessment=self.k_assess[kids],
                guardianship=self.k_guard[kids],
                kunjing=self.k_kunjing[kids],
                last_concern=self.k_concern[kids],
                last_incident_day=self.k_incident[kids],
                open_water=self.k_water[kids],
                next_due_day=self.k_next_due[kids],
            )
            pick = np.asarray(self.policy(today, view), dtype=np.int64)[:cap]
            chosen.append(pick)
        kids = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
        days = np.clip(week0 + rng.integers(0, 5, len(kids)), np.maximum(self.c_entry[kids], 0), t)
        worker = self.county.director_id[self.c_village[kids]]
        vtype = self._visit_types(kids, t, sweep)
        self._record_visits(kids, days, worker, "children_director", vtype)
        esc = [(c, d) for c, d in self.escalations if d <= t]
        self.escalations = [(c, d) for c, d in self.escalations if d > t]
        esc = [(c, d) for c, d in esc if self.active[c] and d < self.n_days]
        if esc:
            ek = np.array([c for c, _ in esc])
            ed = np.array([d for _, d in esc])
            sup = self.county.supervisor_id[self.county.village_township[self.c_village[ek]]]
            self._record_visits(
                ek, ed, sup, "supervisor", np.full(len(ek), "escalation", dtype=object), force_home=True
            )

    def _visit_types(self, kids: np.ndarray, t: int, sweep: bool) -> np.ndarray:
        first = (self.k_last_visit[kids] < -NEVER // 2) & (self.c_entry[kids] > 0)
        red = t - self.k_incident[kids] <= 60
        follow = red | self.k_concern[kids]
        u = self.rng.random(len(kids))
        reassess = ((self.k_assess[kids] == 2) & (u < 0.3)) | (u > 0.92)  # poor ratings, and ~yearly [D]
        return np.select(
            [first, follow, np.full(len(kids), sweep), reassess],
            ["new_registration", "follow_up", "holiday_safety_sweep", "reassessment"],
            "routine",
        ).astype(object)

    def _record_visits(
        self,
        kids: np.ndarray,
        days: np.ndarray,
        worker: np.ndarray,
        role: str,
        vtype: np.ndarray,
        force_home: bool = False,
    ) -> None:
        if len(kids) == 0:
            return
        rng = self.rng
        n = len(kids)
        h = self.hh[kids]
        t = int(days.max())
        g = self._guardian(t)
        neg = self._neglect(g, t)[h]
        gc = g[h]
        dibao = self.pop.h_dibao[h]
        modes = np.array(list(P.VISIT_MODE), dtype=object)
        mode = modes[rng.choice(len(modes), n, p=list(P.VISIT_MODE.values()))]
        mode = np.where(
            force_home | (vtype == "new_registration") | (vtype == "holiday_safety_sweep"), "home", mode
        )
        mode = np.where((mode == "school") & ~self.enrolled[kids], "home", mode)
        home = mode == "home"
        inperson = mode != "phone"
        alone = np.isin(self.guard[h], [5, 6]) | self.carer_gone[h]
        seen = np.where(mode == "phone", rng.random(n) < 0.6, rng.random(n) < np.where(home, 0.92, 1.0))
        carer_present = np.where(
            mode == "school", None, np.where(alone, rng.random(n) < 0.1, rng.random(n) < 0.9)
        )
        living = np.clip(np.round(4.3 - 0.7 * neg - 0.6 * dibao + rng.normal(0, 0.7, n)), 1, 5)
        food = rng.random(n) < _sigmoid(-3.4 + 1.2 * neg + 0.8 * dibao)
        hygiene = rng.random(n) < _sigmoid(-3.0 + 1.4 * neg)
        neglect_sign = rng.random(n) < _sigmoid(-3.6 + 1.6 * neg)
        injury_recent = days - self.injury_day[kids] < 14
        injury_sign = rng.random(n) < (0.01 + 0.5 * injury_recent + 0.15 * self.pop.h_abuse[h])
        mood_ok = rng.random(n) < _sigmoid(2.2 - 1.3 * self.M[kids])
        mood = np.where(mood_ok, "normal", MOODS[rng.integers(0, 4, n)])
        rating_score = gc + rng.normal(0, 0.45, n)
        rating = np.digitize(rating_score, [0.45, 1.1])
        water = self.pop.h_open_water[h] & (rng.random(n) < 0.85)
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
            "medical": (self.pop.c_disability[kids] >= 0) | (self.pop.c_illness[kids] != "none"),
            "psychological": mood != "normal",
            "education": self.E[kids] > 1.5,
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
        self.k_last_visit[kids] = np.maximum(self.k_last_visit[kids], days)
        self.k_assess[kids[inperson | (mode == "phone")]] = rating[inperson | (mode == "phone")]
        # the registry's 监护情况评估 changes only at a formal (re)assessment, not at every visit
        formal = home & np.isin(vtype, ["reassessment", "new_registration", "escalation"])
        self.reg_assess[kids[formal]] = rating[formal]
        concern = (home & (neglect_sign | hygiene)) | (inperson & injury_sign) | (seen & (mood != "normal"))
        self.k_concern[kids] = concern
        self.k_water[kids[home & water]] = True
        view_tier = np.select(
            [
                days - self.k_incident[kids] <= 60,
                (rating == 2) | concern | np.isin(self.k_guard[kids], [5, 6]),
            ],
            [0, 1],
            2 + (rating == 0),
        )
        next_due = days + TIER_INTERVAL[view_tier]
        self.k_next_due[kids] = next_due
        # finding outcomes nobody had reported (home visits only)
        for kind, (window, p) in P.DETECT_AT_VISIT.items():
            pend = self.pending[kind][kids]
            for i in np.flatnonzero(home & seen & (pend >= 0)):
                o = int(pend[i])
                if 0 <= days[i] - self.o_day[o] <= window and rng.random() < p:
                    self.pending[kind][kids[i]] = -1
                    self._detect(o, int(days[i]), "village_committee")
        # parents' contact as told at the visit, for families whose calls are not logged (§2 F4 source)
        self_report = (
            home & self.away[h] & ~self.pop.h_app_log[h] & ~self.h_exited[h] & (self.last_contact[h] > -NEVER)
        )
        for i in np.flatnonzero(self_report):
            c = int(kids[i])
            hh = int(h[i])
            parent = self.pop.h_father[hh] if self.pop.h_father_away[hh] else self.pop.h_mother[hh]
            lc = int(min(self.last_contact[hh], days[i]))
            self.rec.contacts.append(
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
        lag = self._lag(P.VISIT_RECORD_LAG_MEAN, n)
        late = rng.random(n) < 0.05
        lag = np.where(late, rng.integers(20, 45, n), lag)
        blank = lambda: rng.random(n) < P.P_FIELD_MISSING  # noqa: E731
        self.rec.visits.append(
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

    # ---------------------------------------------------------------- household, migration, benefits
    def _initial_records(self) -> None:
        self._benefit_ids: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for h in np.flatnonzero(self.h_entry == 0):
            self._household_version(int(h), 0, initial=True)
            self._migration_initial(int(h), 0)
        self._benefits_initial(np.flatnonzero(self.c_entry == 0), 0)

    def _person_rows(self, h: int) -> list[tuple[int, dict[str, Any]]]:
        pop = self.pop
        rows = []
        father, mother = int(pop.h_father[h]), int(pop.h_mother[h])
        persons = [father, mother]
        for p in (int(self.carer[h]), int(self.second[h])):
            if p >= 0 and p not in persons:
                persons.append(p)
        persons += [p for p in self.p_dead if self.p_household[p] == h and p not in persons]
        for p in persons:
            dead = p in self.p_dead
            is_parent = p in (father, mother)
            away = (pop.h_father_away[h] if p == father else pop.h_mother_away[h]) if is_parent else False
            away = away and not self.home[h] and not self.h_exited[h]
            primary = (p == self.carer[h]) and not self.carer_gone[h] and not dead
            if p == self.carer[h] and not dead:
                health = ("good", "chronic_illness", "severe_illness", "disabled", "good")[
                    self.carer_health[h]
                ]
            elif p in self.p_health:
                health = self.p_health[p]
            else:
                health = "good"
            if dead:
                health = "unknown"
            capacity, reason = "capable", None
            if dead:
                capacity, reason = "incapable", "deceased"
            elif p == self.carer[h] and self.acute_until[h] >= 0:
                capacity, reason = "incapable", "severe_illness"
            elif p == self.carer[h] and health in ("severe_illness", "disabled"):
                capacity = "limited"  # still looks after the child (P_ACUTE_INCAPACITY [D])
            elif health in ("severe_illness", "disabled"):
                capacity, reason = (
                    "incapable",
                    "severe_illness" if health == "severe_illness" else "severe_disability",
                )
            elif health == "chronic_illness" or (
                2000 + 60 - self.p_birth_year[p] > 45
                and not is_parent
                and self.start.year - self.p_birth_year[p] > 72
            ):
                capacity = "limited"
            unsupervised = self.guard[h] in (5, 6)
            rows.append(
                (
                    p,
                    {
                        "person": p,
                        "relation": self.p_relation[p],
                        "birth_year": self.p_birth_year[p],
                        "alive": not dead,
                        "lives_with_child": (not dead)
                        and (not away)
                        and not (unsupervised and not is_parent),
                        "is_primary_caregiver": primary and not unsupervised,
                        "is_entrusted_guardian": primary and not is_parent and bool(self.away[h]),
                        "education_level": self.p_edu[p] if self.rng.random() > 0.05 else None,
                        "health_status": health,
                        "disability_grade": 2 if health == "disabled" else None,
                        "guardian_capacity": capacity,
                        "incapacity_reason": reason,
                        "contactable": (not dead) and not (is_parent and away and self.lost_recorded[h]),
                    },
                )
            )
        return rows

    def _household_version(self, h: int, t: int, initial: bool = False) -> None:
        kids = self._children_of(np.array([h]))
        kids = kids[self.active[kids] | (self.c_entry[kids] == t)]
        if len(kids) == 0:
            return
        if initial and t == 0:
            valid = -int(self.rng.integers(30, 400))
            recorded = valid + int(self._lag(20))
        elif initial:
            valid, recorded = t, t + int(self._lag(10))
        else:
            valid, recorded = t, t + int(self._lag(30))
        self.h_version_day[h] = valid
        for _p, row in self._person_rows(h):
            for c in kids:
                self.rec.household.append({**row, "child": int(c), "valid": valid, "recorded": recorded})

    def _flush_household_versions(self, t: int) -> None:
        if not self.dirty:
            return
        for h in sorted(self.dirty):
            if self.h_version_day[h] != t and not self.h_exited[h] and self.h_entry[h] <= t:
                self._household_version(h, t)
        self.dirty.clear()

    def _migration_initial(self, h: int, t: int) -> None:
        pop = self.pop
        kids = self._children_of(np.array([h]))
        kids = kids[self.active[kids] | (self.c_entry[kids] == t)]
        for role, away in (("father", pop.h_father_away[h]), ("mother", pop.h_mother_away[h])):
            if not away:
                continue
            p = int(pop.h_father[h] if role == "father" else pop.h_mother[h])
            depart = int((pop.h_depart[h] - np.datetime64(self.start, "D")).astype(int))
            recorded = max(depart + int(self._lag(30)), depart) if t == 0 else t + int(self._lag(10))
            if t == 0:
                recorded = min(recorded, -1)
            for c in kids:
                row = {
                    "episode_id": f"E{p + 1:08d}-{c + 1}",
                    "person": p,
                    "child": int(c),
                    "depart": depart,
                    "return": None,
                    "abroad": bool(pop.h_abroad[h]),
                    "cross": bool(pop.h_cross_province[h]),
                    "province": pop.h_work_province[h],
                    "sector": pop.h_sector[h],
                    "expected_return": "not_planned" if pop.h_sf_never[h] else "spring_festival",
                    "lost_since": None,
                    "recorded": max(recorded, depart),
                }
                self.rec.migration.append(row)
                self.mig_latest[h][row["episode_id"]] = row

    def _migration_version(
        self, h: int, recorded: int, lost_since: int | None = None, returned: bool = False
    ) -> None:
        """A new version of every current episode row of the household (return or lost/regained contact)."""
        for row in list(self.mig_latest[h].values()):
            if row["return"] is not None:
                continue
            new = {**row, "recorded": max(recorded, row["recorded"] + 1)}
            if returned:
                new["return"] = recorded if recorded >= row["depart"] else row["depart"]
                new["lost_since"] = None
            else:
                new["lost_since"] = lost_since
            self.rec.migration.append(new)
            self.mig_latest[h][row["episode_id"]] = new

    def _benefits_initial(self, kids: np.ndarray, t: int) -> None:
        pop = self.pop
        for c in kids:
            h = int(self.hh[c])
            begin = t - int(self.rng.integers(60, 1500)) if t == 0 else t + int(self.rng.integers(10, 60))
            if pop.h_dibao[h]:
                self._benefit(
                    int(c), "dibao", begin, "active", "dibao_system", float(self.rng.integers(300, 600))
                )
                if self.enrolled[c]:
                    self._benefit(int(c), "education_aid", begin, "active", "edu_aid", 100.0)
            if pop.c_disability[c] >= 0:
                self._benefit(int(c), "disability_subsidies", begin, "active", "disabled_fed_system", 200.0)
            if pop.h_kunjing[h] == KUNJING_CODES.index("de_facto_unattended"):
                self._benefit(
                    int(c), "de_facto_unattended_allowance", begin, "active", "child_welfare_system", 1140.0
                )  # §3.1 P14 average allowance
            if pop.h_kunjing[h] == KUNJING_CODES.index("orphan"):
                self._benefit(int(c), "orphan_allowance", begin, "active", "child_welfare_system", 1200.0)

    def _benefit(
        self,
        c: int,
        program: str,
        begin: int,
        status: str,
        source: str,
        amount: float,
        end: int | None = None,
    ) -> None:
        self.n_benefit += 1
        row = {
            "benefit_id": f"B{self.n_benefit:07d}",
            "child": c,
            "program": program,
            "status": status,
            "start": begin,
            "end_date": None,
            "amount": amount,
            "source": source,
            "recorded": max(begin, 0 if begin < 0 else begin) + int(self._lag(15)),
        }
        if begin < 0:
            row["recorded"] = begin + int(self._lag(15))
        self.rec.benefits.append(row)
        if end is not None:
            if end < self.n_days:
                self.rec.benefits.append(
                    {**row, "status": "terminated", "end_date": end, "recorded": end + int(self._lag(10))}
                )
        else:
            self._benefit_ids[c].append(row)

    # ---------------------------------------------------------------- truth
    def _truth(self, t: int) -> None:
        idx = np.flatnonzero(self.active)
        if len(idx) == 0:
            return
        g = self._guardian(t)
        n = self._neglect(g, t)
        rates = self._rates(idx, t, g, n)
        window = self.season_cum[:, min(t + 91, self.season_cum.shape[1] - 1)] - self.season_cum[:, t + 1]
        p_any, p_det = HZ.risk_over(rates, window)
        h = self.hh[idx]
        self.rec.truth_risk.append(
            pd.DataFrame(
                {
                    "child_id": self.pop.c_id[idx],
                    "date": pd.Timestamp(self.start) + pd.Timedelta(days=t),
                    "true_risk_90d": p_any,
                    "detected_risk_90d": p_det,
                    "guardian_deficit": g[h],
                    "neglect": n[h],
                    "distress": self.M[idx],
                    "disengagement": self.E[idx],
                    "contact_deficit": self._contact_deficit(t)[h],
                    "frailty": self.pop.c_frailty[idx],
                    "caregiver_health": self.carer_health[h],
                    "parents_home": self.home[h],
                    **{f"rate_{k}": rates[i] for i, k in enumerate(HZ.OUTCOME_TYPES)},
                }
            )
        )

    def _finish(self) -> None:
        # unfounded reports (§6.2): a few incidents with no true outcome behind them
        n_unfounded = round(P.P_UNSUBSTANTIATED_REPORT * max(1, self.n_incident))
        for _ in range(n_unfounded):
            c = int(self.rng.integers(0, self.N))
            if self.c_entry[c] >= NEVER:
                continue
            lo = max(int(self.c_entry[c]), 0)
            hi = int(min(self.exit_day[c], self.n_days - 1))
            if hi <= lo:
                continue
            t = int(self.rng.integers(lo, hi))
            kind = str(self.rng.choice(["neglect", "abuse", "unsupervised"]))
            self._incident(c, kind, t, t + int(self._lag(3)), "public", None, verified="unsubstantiated")
        for o in range(len(self.o_child)):
            self.rec.outcomes.append(
                {
                    "outcome_id": f"O{o + 1:07d}",
                    "child": self.o_child[o],
                    "outcome_type": self.o_type[o],
                    "event": self.o_day[o],
                    "severity": self.o_severity[o],
                    "detected_day": self.o_detected[o],
                    "incident_id": self.o_incident[o],
                }
            )
