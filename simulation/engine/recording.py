"""Recording: household-member versions, persons, migration episodes, benefits and registry snapshots,
as the county's systems keep them (event day and the day entered)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulation import params as P
from simulation.engine import schooling
from simulation.engine.state import (
    ASSESS,
    NEVER,
    SimState,
)
from simulation.population import GUARDIANSHIP_CODES, KUNJING_CODES, G


def initial_records(s: SimState) -> None:
    for h in np.flatnonzero(s.h_entry == 0):
        household_version(s, int(h), 0, initial=True)
        migration_initial(s, int(h), 0)
    benefits_initial(s, np.flatnonzero(s.c_entry == 0), 0)


def person_rows(s: SimState, h: int) -> list[tuple[int, dict[str, Any]]]:
    pop = s.pop
    rows = []
    father, mother = int(pop.h_father[h]), int(pop.h_mother[h])
    persons = [father, mother]
    for p in (int(s.carer[h]), int(s.second[h])):
        if p >= 0 and p not in persons:
            persons.append(p)
    persons += [p for p in s.p_dead if s.p_household[p] == h and p not in persons]
    for p in persons:
        dead = p in s.p_dead
        is_parent = p in (father, mother)
        away = (pop.h_father_away[h] if p == father else pop.h_mother_away[h]) if is_parent else False
        away = away and not s.home[h] and not s.h_exited[h]
        primary = (p == s.carer[h]) and not s.carer_gone[h] and not dead
        if p == s.carer[h] and not dead:
            health = ("good", "chronic_illness", "severe_illness", "disabled", "good")[s.carer_health[h]]
        elif p in s.p_health:
            health = s.p_health[p]
        else:
            health = "good"
        if dead:
            health = "unknown"
        capacity, reason = "capable", None
        if dead:
            capacity, reason = "incapable", "deceased"
        elif p == s.carer[h] and s.acute_until[h] >= 0:
            capacity, reason = "incapable", "severe_illness"
        elif p == s.carer[h] and health in ("severe_illness", "disabled"):
            capacity = "limited"  # still looks after the child (P_ACUTE_INCAPACITY [D])
        elif health in ("severe_illness", "disabled"):
            capacity, reason = (
                "incapable",
                "severe_illness" if health == "severe_illness" else "severe_disability",
            )
        elif health == "chronic_illness" or (
            2000 + 60 - s.p_birth_year[p] > 45 and not is_parent and s.start.year - s.p_birth_year[p] > 72
        ):
            capacity = "limited"
        unsupervised = s.guard[h] in (5, 6)
        rows.append(
            (
                p,
                {
                    "person": p,
                    "relation": s.p_relation[p],
                    "birth_year": s.p_birth_year[p],
                    "alive": not dead,
                    "lives_with_child": (not dead) and (not away) and not (unsupervised and not is_parent),
                    "is_primary_caregiver": primary and not unsupervised,
                    "is_entrusted_guardian": primary and not is_parent and bool(s.away[h]),
                    "education_level": s.p_edu[p] if s.rng_rec.random() > 0.05 else None,
                    "health_status": health,
                    "disability_grade": 2 if health == "disabled" else None,
                    "guardian_capacity": capacity,
                    "incapacity_reason": reason,
                    "contactable": (not dead) and not (is_parent and away and s.lost_recorded[h]),
                },
            )
        )
    return rows


def household_version(s: SimState, h: int, t: int, initial: bool = False) -> None:
    kids = s.children_of(np.array([h]))
    kids = kids[s.active[kids] | (s.c_entry[kids] == t)]
    if len(kids) == 0:
        return
    if initial and t == 0:
        valid = -int(s.rng_rec.integers(30, 400))
        recorded = valid + int(s.lag(20))
    elif initial:
        valid, recorded = t, t + int(s.lag(10))
    else:
        valid, recorded = t, t + int(s.lag(30))
    s.h_version_day[h] = valid
    for _p, row in person_rows(s, h):
        for c in kids:
            s.rec.household.append({**row, "child": int(c), "valid": valid, "recorded": recorded})


def flush_household_versions(s: SimState, t: int) -> None:
    if not s.dirty:
        return
    for h in sorted(s.dirty):
        if s.h_version_day[h] != t and not s.h_exited[h] and s.h_entry[h] <= t:
            household_version(s, h, t)
    s.dirty.clear()


def migration_initial(s: SimState, h: int, t: int) -> None:
    pop = s.pop
    kids = s.children_of(np.array([h]))
    kids = kids[s.active[kids] | (s.c_entry[kids] == t)]
    for role, away in (("father", pop.h_father_away[h]), ("mother", pop.h_mother_away[h])):
        if not away:
            continue
        p = int(pop.h_father[h] if role == "father" else pop.h_mother[h])
        depart = int((pop.h_depart[h] - np.datetime64(s.start, "D")).astype(int))
        recorded = max(depart + int(s.lag(30)), depart) if t == 0 else t + int(s.lag(10))
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
            s.rec.migration.append(row)
            s.mig_latest[h][row["episode_id"]] = row


def migration_version(
    s: SimState, h: int, recorded: int, lost_since: int | None = None, returned: bool = False
) -> None:
    """A new version of every current episode row of the household (return or lost/regained contact)."""
    for row in list(s.mig_latest[h].values()):
        if row["return"] is not None:
            continue
        new = {**row, "recorded": max(recorded, row["recorded"] + 1)}
        if returned:
            new["return"] = recorded if recorded >= row["depart"] else row["depart"]
            new["lost_since"] = None
        else:
            new["lost_since"] = lost_since
        s.rec.migration.append(new)
        s.mig_latest[h][row["episode_id"]] = new


def benefits_initial(s: SimState, kids: np.ndarray, t: int) -> None:
    pop = s.pop
    for c in kids:
        h = int(s.hh[c])
        begin = t - int(s.rng_rec.integers(60, 1500)) if t == 0 else t + int(s.rng_rec.integers(10, 60))
        if pop.h_dibao[h]:
            benefit(s, int(c), "dibao", begin, "active", "dibao_system", float(s.rng_rec.integers(300, 600)))
            if s.enrolled[c]:
                benefit(s, int(c), "education_aid", begin, "active", "edu_aid", 100.0)
        if pop.c_disability[c] >= 0:
            benefit(s, int(c), "disability_subsidies", begin, "active", "disabled_fed_system", 200.0)
        if pop.h_kunjing[h] == KUNJING_CODES.index("de_facto_unattended"):
            benefit(
                s, int(c), "de_facto_unattended_allowance", begin, "active", "child_welfare_system", 1140.0
            )  # §3.1 P14 average allowance
        if pop.h_kunjing[h] == KUNJING_CODES.index("orphan"):
            benefit(s, int(c), "orphan_allowance", begin, "active", "child_welfare_system", 1200.0)


def benefit(
    s: SimState,
    c: int,
    program: str,
    begin: int,
    status: str,
    source: str,
    amount: float,
    end: int | None = None,
) -> None:
    s.n_benefit += 1
    row = {
        "benefit_id": f"B{s.n_benefit:07d}",
        "child": c,
        "program": program,
        "status": status,
        "start": begin,
        "end_date": None,
        "amount": amount,
        "source": source,
        "recorded": max(begin, 0 if begin < 0 else begin) + int(s.lag(15)),
    }
    if begin < 0:
        row["recorded"] = begin + int(s.lag(15))
    s.rec.benefits.append(row)
    if end is not None:
        if end < s.n_days:
            s.rec.benefits.append(
                {**row, "status": "terminated", "end_date": end, "recorded": end + int(s.lag(10))}
            )
    else:
        s.benefit_ids[c].append(row)


def snapshot(s: SimState, t: int) -> None:
    prev = max([d for d in s.snap_days if d < t], default=-NEVER)
    exited = (s.exit_day >= prev) & (s.exit_day < t) & (s.c_entry < NEVER)
    idx = np.flatnonzero(s.active | exited)
    if len(idx) == 0:
        return
    rng = s.rng_rec
    pop = s.pop
    h = s.hh[idx]
    when = pd.Timestamp(s.start) + pd.Timedelta(days=t)
    age = s.age0[idx] + t / 365.25
    status = np.where(s.active[idx], "active", "exited")
    reason = np.where(s.active[idx], None, s.exit_reason[idx])
    lbc_codes = np.array(
        ["both_away", "one_away_other_incapable", "one_away_other_home", "not_lbc"], dtype=object
    )
    fa = pop.h_father_away[h] & ~s.h_exited[h]
    ma = pop.h_mother_away[h] & ~s.h_exited[h]
    lbc = np.where(s.h_exited[h], "not_lbc", lbc_codes[pop.h_lbc[h]])
    kj_codes = np.array(KUNJING_CODES, dtype=object)
    kj = np.where(pop.h_kunjing[h] >= 0, kj_codes[np.maximum(pop.h_kunjing[h], 0)], "")
    kj = np.where(pop.c_disability[idx] >= 0, np.where(kj == "", "severe_disability", kj), kj)
    kj = np.where(np.isin(s.guard[h], [5, 6]), np.char.add(kj.astype(str), ";guardianship_deficit"), kj)
    kj = np.array([k.strip(";") or None for k in kj.astype(str)], dtype=object)
    school_status = schooling.schooling_status(s, idx, age)
    incapable = np.isin(s.guard[h], [G["one_parent_home_incapable"]])
    income = np.where(fa | ma, "migrant_work;farming_livestock", "farming_livestock")
    income = np.where(pop.h_dibao[h], np.char.add(income.astype(str), ";govt_assistance"), income)
    entrusted = np.array([s.p_id[p] if p >= 0 else None for p in s.carer[h]], dtype=object)
    entrusted = np.where((fa | ma) & ~incapable & (s.guard[h] != 6), entrusted, None)
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
            "residence_village_code": s.county.village_codes[s.c_village[idx]],
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
            "school_id": np.where(s.enrolled[idx], s.school[idx], None),
            "grade_level": pd.array(np.where(s.enrolled[idx], s.grade[idx], -1), dtype="Int64"),
            "boarding": s.boarding[idx] & s.enrolled[idx],
            "guardianship_type": np.array(GUARDIANSHIP_CODES, dtype=object)[s.k_guard[idx]],
            "guardianship_assessment": ASSESS[s.reg_assess[idx]],
            "entrusted_guardian_id": entrusted,
            "entrustment_notified_school": notified,
            "entrustment_notified_village": notified_v,
            "parents_marital_status": np.where(pop.h_divorced[h], "divorced", "married"),
            "family_income_sources": income,
            "assistance_flags": np.where(pop.h_dibao[h], "dibao", None),
            "children_director_id": s.county.director_id[s.c_village[idx]],
            "recorded_day": t
            + rng.integers(P.SNAPSHOT_RECORD_LAG[0], P.SNAPSHOT_RECORD_LAG[1] + 1, len(idx)),
        }
    )
    frame["disability_grade"] = frame["disability_grade"].mask(frame["disability_grade"] < 0)
    frame["grade_level"] = frame["grade_level"].mask(frame["grade_level"] < 0)
    s.rec.registry.append(frame)
