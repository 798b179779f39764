"""The starting county population (DOMAIN §3.1–§3.3): households, children, caregivers and parents.

Everything is drawn up front, including children who register later (entrants), so the day loop only flips
states. Household-level draws (guardianship, caregiver, parents, water, poverty) are shared by siblings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulation import identity
from simulation import params as P
from simulation.geography import AREA6, County
from simulation.school_calendar import CalendarArrays, spring_festival

GUARDIANSHIP_CODES = (
    "grandparents",
    "other_relatives",
    "non_relative_entrusted",
    "one_parent_home_capable",
    "one_parent_home_incapable",
    "self_or_siblings",
    "unsupervised",
)
G = {code: i for i, code in enumerate(GUARDIANSHIP_CODES)}
LBC_CODES = ("both_away", "one_away_other_incapable", "one_away_other_home", "not_lbc")
HEALTH_CODES = ("good", "chronic_illness", "severe_illness", "disabled", "deceased")  # deceased: state only
EDU_CODES = tuple(P.CAREGIVER_EDUCATION)
KUNJING_CODES = tuple(P.KUNJING_NOT_LBC)


def _choice(rng: np.random.Generator, shares: dict[str, float] | tuple, n: int) -> np.ndarray:
    p = np.array(list(shares.values()) if isinstance(shares, dict) else shares, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _truncnorm(rng: np.random.Generator, spec: tuple[float, float, float, float], n: int) -> np.ndarray:
    mean, sd, lo, hi = spec
    return np.clip(rng.normal(mean, sd, n), lo, hi)


@dataclass
class Population:
    """Arrays over households (h_*), children (c_*) and persons (p_*)."""

    # households
    h_village: np.ndarray
    h_lbc: np.ndarray  # index into LBC_CODES
    h_guard: np.ndarray  # index into GUARDIANSHIP_CODES (as registered at start)
    h_kunjing: np.ndarray  # -1 or index into KUNJING_CODES
    h_father_away: np.ndarray
    h_mother_away: np.ndarray
    h_caregiver: np.ndarray  # person index of the primary caregiver (-1 none)
    h_carer_age0: np.ndarray  # caregiver age at start
    h_carer_health: np.ndarray  # index into HEALTH_CODES (mutable)
    h_carer_edu: np.ndarray
    h_second: np.ndarray  # person index of a second grandparent (-1 none)
    h_father: np.ndarray
    h_mother: np.ndarray
    h_divorced: np.ndarray
    h_dibao: np.ndarray
    h_open_water: np.ndarray
    h_neglect: np.ndarray  # latent household neglect propensity (0..2.5)
    h_abuse: np.ndarray  # latent abuse propensity flag
    h_call_rate: np.ndarray  # calls per week when in contact
    h_app_log: np.ndarray
    h_sf_never: np.ndarray
    h_depart: np.ndarray  # datetime64[D] when the (first) parent left
    h_entry_day: np.ndarray  # day number the household's children register (0 = already registered)
    h_cross_province: np.ndarray
    h_abroad: np.ndarray
    h_work_province: np.ndarray
    h_sector: np.ndarray
    h_ethnicity: np.ndarray
    # children
    c_household: np.ndarray
    c_id: np.ndarray
    c_name: np.ndarray
    c_idno: np.ndarray
    c_male: np.ndarray
    c_birth: np.ndarray  # datetime64[D]
    c_disability: np.ndarray  # -1 none or grade 1..4
    c_disability_cat: np.ndarray
    c_illness: np.ndarray  # str code
    c_hukou: np.ndarray
    c_frailty: np.ndarray  # unobserved child-level random effect
    c_kindergarten: np.ndarray  # attends kindergarten when aged 3–5
    # persons
    p_id: np.ndarray
    p_household: np.ndarray
    p_relation: np.ndarray  # str code
    p_birth_year: np.ndarray
    p_name: np.ndarray
    p_idno: np.ndarray
    p_phone: np.ndarray
    p_edu: np.ndarray  # str code or None

    @property
    def n_children(self) -> int:
        return len(self.c_id)

    @property
    def n_households(self) -> int:
        return len(self.h_village)


def build_population(
    children: int, county: County, cal: CalendarArrays, start: date, end: date, rng: np.random.Generator
) -> Population:
    years = (end - start).days / 365.25
    n_entrants = round(children * P.ENTRY_RATE * years)
    total = children + n_entrants
    # household sizes: 1–3 registered children per caregiver [D]
    sizes = rng.choice([1, 2, 3], size=total, p=[0.55, 0.35, 0.10])
    cut = int(np.searchsorted(np.cumsum(sizes), total))  # the household that reaches `total`
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= sizes.sum() - total
    H = len(sizes)
    c_household = np.repeat(np.arange(H), sizes)

    n_v = len(county.village_codes)
    v_weight = rng.dirichlet(np.full(n_v, 8.0))
    h_village = rng.choice(n_v, size=H, p=v_weight)
    v_water = rng.beta(2, 3.7, n_v) * (P.OPEN_WATER_SHARE / 0.35)  # villages differ; mean ≈ OPEN_WATER_SHARE
    h_open_water = rng.random(H) < np.clip(v_water[h_village], 0, 0.95)

    # registry category and guardianship (§3.1 P8; composition [D])
    cat = _choice(rng, (P.P_NARROW, P.P_BROAD_ONLY, P.P_KUNJING_NOT_LBC), H)
    guard_n = np.array([G[k] for k in P.GUARDIANSHIP_NARROW])[_choice(rng, P.GUARDIANSHIP_NARROW, H)]
    h_kunjing = np.full(H, -1)
    kj = _choice(rng, P.KUNJING_NOT_LBC, H)
    h_kunjing[cat == 2] = kj[cat == 2]
    h_guard = np.where(cat == 0, guard_n, G["one_parent_home_capable"])
    orphanlike = (cat == 2) & np.isin(
        h_kunjing, [KUNJING_CODES.index("orphan"), KUNJING_CODES.index("de_facto_unattended")]
    )
    h_guard[orphanlike] = np.where(
        rng.random(orphanlike.sum()) < 0.8, G["grandparents"], G["other_relatives"]
    )
    h_lbc = np.select(
        [(cat == 0) & (h_guard == G["one_parent_home_incapable"]), cat == 0, cat == 1],
        [1, 0, 2],
        default=3,
    )
    father_first = rng.random(H) < 0.72
    h_father_away = (h_lbc == 0) | ((h_lbc != 3) & father_first)
    h_mother_away = (h_lbc == 0) | ((h_lbc != 3) & ~father_first)
    h_divorced = rng.random(H) < P.P_DIVORCED
    h_dibao = (rng.random(H) < P.P_DIBAO) | (h_kunjing == KUNJING_CODES.index("poverty_dibao"))

    # caregivers (§3.2 G1–G3)
    # P8 "one parent home but incapable" is an LBC type: the child is still cared for day to day by someone
    # else, usually a grandparent [D]; the incapable parent lives at home as a household member
    grand = np.isin(
        h_guard,
        [G["grandparents"], G["one_parent_home_incapable"], G["unsupervised"], G["self_or_siblings"]],
    )
    carer_age = np.where(grand, _truncnorm(rng, P.GRANDPARENT_AGE, H), _truncnorm(rng, P.RELATIVE_AGE, H))
    parent_carer = h_guard == G["one_parent_home_capable"]
    carer_age = np.where(parent_carer, _truncnorm(rng, P.PARENT_AGE, H), carer_age)
    health = _choice(rng, P.CAREGIVER_HEALTH, H)
    older = carer_age > 68
    health = np.where(older & (health == 0) & (rng.random(H) < 0.3), 1, health)
    edu = _choice(rng, P.CAREGIVER_EDUCATION, H)

    # latent household propensities [D]: a minority carry most of the risk
    neglect = rng.choice([0.0, 1.2, 2.6], size=H, p=[0.78, 0.15, 0.07])
    neglect += 0.3 * (edu == 0) + 0.3 * h_dibao + 0.2 * (health >= 2)
    h_abuse = (rng.random(H) < 0.03 * (1 + 1.5 * h_divorced)).astype(float)

    # parents and contact (§3.2 G4–G6, §3.3 C1–C3)
    rates = np.array([r for r, _ in P.CALL_RATE_MIX])
    h_call_rate = rates[_choice(rng, tuple(s for _, s in P.CALL_RATE_MIX), H)]
    h_call_rate = np.where(h_divorced, h_call_rate * 0.5, h_call_rate)
    h_app_log = rng.random(H) < P.P_APP_LOG
    h_sf_never = rng.random(H) < P.P_SF_NEVER
    band = _choice(rng, tuple(s for *_, s in P.YEARS_AWAY), H)
    lo = np.array([a for a, *_ in P.YEARS_AWAY])[band]
    hi = np.array([b for _, b, _ in P.YEARS_AWAY])[band]
    years_away = lo + rng.random(H) * (hi - lo)
    h_depart = np.datetime64(start, "D") - (years_away * 365.25).astype("timedelta64[D]")
    h_abroad = rng.random(H) < P.P_ABROAD
    h_cross = ~h_abroad & (rng.random(H) < P.P_CROSS_PROVINCE / (1 - P.P_ABROAD))
    h_work_prov = np.array(P.WORK_PROVINCES, dtype=object)[rng.integers(0, len(P.WORK_PROVINCES), H)]
    h_sector = np.array(list(P.SECTOR), dtype=object)[_choice(rng, P.SECTOR, H)]
    eth_codes = np.array(list(P.ETHNICITY), dtype=object)
    h_eth = eth_codes[_choice(rng, P.ETHNICITY, H)]

    # entrants: households that register during the window, mostly right after parents leave at 春节
    n_days = (end - start).days + 1
    h_entry = np.zeros(H, dtype=np.int64)
    first_child = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    entrant = first_child >= children
    k = int(entrant.sum())
    sf_days = [cal.index(spring_festival(y)) for y in range(start.year, end.year + 1)]
    sf_days = [d for d in sf_days if 0 <= d < n_days] or [n_days // 2]
    after_sf = np.array(sf_days)[rng.integers(0, len(sf_days), k)] + rng.integers(15, 60, k)
    uniform = rng.integers(1, n_days, k)
    h_entry[entrant] = np.clip(np.where(rng.random(k) < 0.6, after_sf, uniform), 1, n_days - 1)
    dep_entrant = np.array(
        [np.datetime64(start, "D") + int(d) for d in h_entry[entrant]], dtype="datetime64[D]"
    ) - rng.integers(0, 20, k).astype("timedelta64[D]")
    h_depart[entrant] = dep_entrant

    # children (§3.1 P5, P6, P9, P10)
    N = total
    band_c = _choice(rng, tuple(s for *_, s in P.AGE_BANDS), N)
    age_lo = np.array([a for a, *_ in P.AGE_BANDS])[band_c]
    age_hi = np.array([b for _, b, _ in P.AGE_BANDS])[band_c] + 1
    age = age_lo + rng.random(N) * (age_hi - age_lo)
    # siblings: keep ages apart by drawing each independently (good enough for sampling shares)
    ref = np.datetime64(start, "D") + h_entry[c_household].astype("timedelta64[D]")
    c_birth = ref - (age * 365.25).astype("timedelta64[D]")
    c_male = rng.random(N) < P.P_MALE
    kunj_c = h_kunjing[c_household]
    disabled = (rng.random(N) < P.P_DISABILITY) | (kunj_c == KUNJING_CODES.index("severe_disability"))
    grade = rng.choice([1, 2, 3, 4], size=N, p=[0.2, 0.3, 0.3, 0.2])
    grade[kunj_c == KUNJING_CODES.index("severe_disability")] = rng.choice(
        [1, 2], size=int((kunj_c == KUNJING_CODES.index("severe_disability")).sum())
    )
    c_disability = np.where(disabled, grade, -1)
    cats = np.array(
        ["physical", "intellectual", "hearing", "visual", "speech", "mental", "multiple"], dtype=object
    )
    c_dis_cat = np.where(disabled, cats[rng.choice(7, N, p=[0.3, 0.25, 0.12, 0.1, 0.08, 0.08, 0.07])], None)
    c_illness = np.where(rng.random(N) < 0.03, "chronic", "none").astype(object)
    c_illness[rng.random(N) < 0.004] = "major_disease"
    c_hukou = rng.random(N) >= P.P_NO_HUKOU
    c_frailty = rng.normal(0.0, 0.4, N)
    c_kg = rng.random(N) < 0.6
    c_ids = np.array([f"C{i + 1:07d}" for i in range(N)], dtype=object)
    c_names = identity.names(N, rng)
    c_idno = identity.id_numbers(AREA6, c_birth, c_male, rng)

    # persons: father, mother, caregiver (if not a parent), second grandparent; one row each
    pid: list[int] = []
    rel: list[str] = []
    byear: list[int] = []
    p_edu: list[str | None] = []
    h_father = np.full(H, -1)
    h_mother = np.full(H, -1)
    h_caregiver = np.full(H, -1)
    h_second = np.full(H, -1)
    parent_age = _truncnorm(rng, P.PARENT_AGE, H)
    start_year = start.year
    grandma = rng.random(H) < 0.6
    maternal = rng.random(H) < 0.3
    second = grand & (rng.random(H) < P.P_SECOND_GRANDPARENT)
    parent_edu = rng.choice(["primary", "junior", "senior"], size=H, p=[0.25, 0.56, 0.19])
    for h in range(H):
        for role, age_h in (("father", parent_age[h] + 2), ("mother", parent_age[h])):
            idx = len(pid)
            pid.append(h)
            rel.append(role)
            byear.append(int(start_year - age_h))
            p_edu.append(str(parent_edu[h]))
            if role == "father":
                h_father[h] = idx
            else:
                h_mother[h] = idx
        g = h_guard[h]
        if g == G["one_parent_home_capable"]:
            h_caregiver[h] = h_mother[h] if h_father_away[h] else h_father[h]
            continue
        if g == G["other_relatives"]:
            r = "other_relative"
        elif g == G["non_relative_entrusted"]:
            r = "non_relative"
        else:
            side = "maternal" if maternal[h] else "paternal"
            r = f"{side}_{'grandmother' if grandma[h] else 'grandfather'}"
        h_caregiver[h] = len(pid)
        pid.append(h)
        rel.append(r)
        byear.append(int(start_year - carer_age[h]))
        p_edu.append(EDU_CODES[edu[h]])
        if second[h]:
            h_second[h] = len(pid)
            pid.append(h)
            rel.append(
                r.replace("grandmother", "grandfather")
                if grandma[h]
                else r.replace("grandfather", "grandmother")
            )
            byear.append(int(start_year - carer_age[h] - rng.integers(-3, 6)))
            p_edu.append(EDU_CODES[min(edu[h] + 1, len(EDU_CODES) - 1)])
    n_p = len(pid)
    p_household = np.array(pid)
    p_relation = np.array(rel, dtype=object)
    p_birth_year = np.array(byear)
    male_p = np.isin(p_relation, ["father", "paternal_grandfather", "maternal_grandfather"]) | (
        np.isin(p_relation, ["other_relative", "non_relative"]) & (rng.random(n_p) < 0.4)
    )
    p_birth = (p_birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(
        0, 365, n_p
    )
    surname = rng.integers(0, len(identity.SURNAMES), H)
    return Population(
        h_village=h_village,
        h_lbc=h_lbc,
        h_guard=h_guard,
        h_kunjing=h_kunjing,
        h_father_away=h_father_away,
        h_mother_away=h_mother_away,
        h_caregiver=h_caregiver,
        h_carer_age0=carer_age,
        h_carer_health=health.astype(np.int8),
        h_carer_edu=edu,
        h_second=h_second,
        h_father=h_father,
        h_mother=h_mother,
        h_divorced=h_divorced,
        h_dibao=h_dibao,
        h_open_water=h_open_water,
        h_neglect=neglect,
        h_abuse=h_abuse,
        h_call_rate=h_call_rate,
        h_app_log=h_app_log,
        h_sf_never=h_sf_never,
        h_depart=h_depart,
        h_entry_day=h_entry,
        h_cross_province=h_cross,
        h_abroad=h_abroad,
        h_work_province=h_work_prov,
        h_sector=h_sector,
        h_ethnicity=h_eth,
        c_household=c_household,
        c_id=c_ids,
        c_name=c_names,
        c_idno=c_idno,
        c_male=c_male,
        c_birth=c_birth,
        c_disability=c_disability,
        c_disability_cat=c_dis_cat,
        c_illness=c_illness,
        c_hukou=c_hukou,
        c_frailty=c_frailty,
        c_kindergarten=c_kg,
        p_id=np.array([f"P{i + 1:08d}" for i in range(n_p)], dtype=object),
        p_household=p_household,
        p_relation=p_relation,
        p_birth_year=p_birth_year,
        p_name=identity.names(n_p, rng, surnames=surname[p_household]),
        p_idno=identity.id_numbers(AREA6, p_birth, male_p, rng),
        p_phone=identity.phones(n_p, rng),
        p_edu=np.array(p_edu, dtype=object),
    )


def date_of(start: date, day: int) -> date:
    return start + timedelta(days=int(day))


def ages_at(pop: Population, when: np.datetime64) -> np.ndarray:
    return (when - pop.c_birth).astype(np.int64) / 365.25


def grade_at(birth: np.ndarray, when: pd.Timestamp) -> np.ndarray:
    """School grade by age on 1 September of the current school year (age 6 → grade 1); ≤0 = pre-school."""
    ay = when.year if when.month >= 9 else when.year - 1
    sept1 = np.datetime64(f"{ay}-09-01", "D")
    age_sept = (sept1 - birth).astype(np.int64) / 365.25
    return np.floor(age_sept).astype(int) - 5
