"""The county's reference data: admin units (12-digit 统计用区划代码), schools and workers (DOMAIN §2 F10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from simulation import params as P

# A fictitious county: city code 99 does not exist in province 52, so no code points at a real place.
PROVINCE = "52"
CITY = "99"
COUNTY = "01"
AREA6 = PROVINCE + CITY + COUNTY  # also the area part of simulated ID numbers
_PLACE = tuple("青石岭河坪溪桥坝湾沟田山松柏桃李")


@dataclass(frozen=True)
class County:
    admin_units: pd.DataFrame
    schools: pd.DataFrame
    workers: pd.DataFrame
    township_codes: np.ndarray  # (T,)
    village_codes: np.ndarray  # (V,) ordered township by township
    village_township: np.ndarray  # (V,) township index of each village
    primary_school: np.ndarray  # (V,) school_id of the village's primary school
    township_school: np.ndarray  # (T,) nine-year school (grades 1–9, boarding)
    senior_school: str
    director_id: np.ndarray  # (V,) worker_id of each village's 儿童主任
    director_cap: np.ndarray  # (V,) visits per month
    supervisor_id: np.ndarray  # (T,)


def _name(i: int, suffix: str) -> str:
    return _PLACE[i % len(_PLACE)] + _PLACE[(i * 7 + 3) % len(_PLACE)] + suffix


def build_county(townships: int, villages: int, start: date, rng: np.random.Generator) -> County:
    county12 = AREA6 + "000000"
    units = [
        (PROVINCE + "0" * 10, "province", "模拟省", None, None, "west"),
        (PROVINCE + CITY + "0" * 8, "city", "守护市", PROVINCE + "0" * 10, None, "west"),
        (county12, "county", "守护县", PROVINCE + CITY + "0" * 8, None, "west"),
    ]
    t_codes, v_codes, v_town = [], [], []
    for t in range(townships):
        t9 = f"{AREA6}{100 + t:03d}"  # 1xx = 镇
        t_codes.append(t9 + "000")
        units.append((t9 + "000", "township", _name(t, "镇"), county12, "rural", "west"))
        for v in range(villages):
            code = f"{t9}{200 + v:03d}"  # 2xx = 村委会
            v_codes.append(code)
            v_town.append(t)
            units.append((code, "village", _name(t * villages + v + 5, "村"), t9 + "000", "rural", "west"))
    admin = pd.DataFrame(units, columns=["code", "level", "name_zh", "parent_code", "urban_rural", "region"])

    schools = [("S-COUNTY-SH", "守护县第一中学", "senior_high", t_codes[0], None, 600)]
    primary = np.empty(len(v_codes), dtype=object)
    nine = np.empty(townships, dtype=object)
    for t in range(townships):
        nine[t] = f"S{t + 1:02d}-09"
        schools.append(
            (nine[t], _name(t, "镇中心学校"), "nine_year", t_codes[t], None, int(rng.integers(150, 400)))
        )
        schools.append((f"S{t + 1:02d}-KG", _name(t, "镇中心幼儿园"), "kindergarten", t_codes[t], None, 0))
    for i, code in enumerate(v_codes):
        t, v = v_town[i], i % villages
        sid = f"S{t + 1:02d}-P{v // 2 + 1:02d}"
        primary[i] = sid
        if v % 2 == 0:
            schools.append(
                (sid, _name(i + 11, "小学"), "primary", t_codes[t], code, int(rng.integers(0, 40)))
            )
    schools_df = pd.DataFrame(
        schools,
        columns=["school_id", "name_zh", "level", "township_code", "village_code", "boarding_capacity"],
    )

    hired = [start - timedelta(days=int(d)) for d in rng.integers(30, 2000, len(v_codes) + townships)]
    director = np.array([f"W{c}" for c in v_codes], dtype=object)
    cap = rng.integers(P.CASELOAD_CAP[0], P.CASELOAD_CAP[1] + 1, len(v_codes))
    supervisor = np.array([f"W{c}-SUP" for c in t_codes], dtype=object)
    workers = pd.DataFrame(
        {
            "worker_id": np.concatenate([director, supervisor]),
            "role": ["children_director"] * len(v_codes) + ["supervisor"] * townships,
            "village_code": list(v_codes) + [None] * townships,
            "township_code": [t_codes[t] for t in v_town] + t_codes,
            "start_date": pd.to_datetime(hired),
            "end_date": pd.NaT,
            "female": rng.random(len(v_codes) + townships) < 0.7,
            "caseload_cap": np.concatenate([cap, np.full(townships, P.SUPERVISOR_CAP)]),
        }
    )
    return County(
        admin_units=admin,
        schools=schools_df,
        workers=workers,
        township_codes=np.array(t_codes, dtype=object),
        village_codes=np.array(v_codes, dtype=object),
        village_township=np.array(v_town),
        primary_school=primary,
        township_school=nine,
        senior_school="S-COUNTY-SH",
        director_id=director,
        director_cap=cap,
        supervisor_id=supervisor,
    )
