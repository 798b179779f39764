"""Tiny hand-built warehouses: DuckDB tables with the docs/architecture.md §2 columns (keys already
pseudonymous), filled from a few rows written out in each test."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from data_contracts.feeds import FEEDS
from data_contracts.warehouse import table_columns

T = pd.Timestamp


def ck(n: int) -> str:
    """A child key in the pseudonym format."""
    return f"c_{n:016x}"


def pk(n: int) -> str:
    return f"p_{n:016x}"


def registry_row(child: int = 1, **over: Any) -> dict[str, Any]:
    """A narrow left-behind child, 10 years old on 2024-06-01, snapshot recorded 2024-01-05."""
    row = {
        "child_key": ck(child),
        "id_hash": "h_0000000000000000",
        "snapshot_date": T("2024-01-01"),
        "status": "active",
        "exit_reason": None,
        "sex": "F",
        "birth_date": T("2014-03-15"),
        "ethnicity_code": "01",
        "hukou_registered": True,
        "residence_village_code": "530102001001",
        "father_away": True,
        "mother_away": True,
        "lbc_type": "both_away",
        "lbc_since": T("2020-01-01"),
        "kunjing_types": "",
        "health_status": "healthy",
        "disability_category": None,
        "disability_grade": None,
        "illness_type": "none",
        "schooling_status": "primary",
        "school_id": "S1",
        "grade_level": 4,
        "boarding": False,
        "guardianship_type": "grandparents",
        "guardianship_assessment": "fair",
        "entrusted_guardian_key": None,
        "entrustment_notified_school": True,
        "entrustment_notified_village": False,
        "parents_marital_status": "married",
        "family_income_sources": "migrant_work",
        "assistance_flags": "",
        "children_director_id": "W1",
        "recorded_at": T("2024-01-05"),
        "source_system": "mca_lbc_system",
    }
    return row | over


def visit_row(child: int = 1, day: str = "2024-05-01", **over: Any) -> dict[str, Any]:
    """A routine home visit, typed in the same day, nothing found."""
    row = {
        "visit_id": f"V{child}-{day}-{len(over)}",
        "child_key": ck(child),
        "worker_id": "W1",
        "worker_role": "children_director",
        "visit_date": T(day),
        "visit_type": "routine",
        "mode": "home",
        "child_seen": True,
        "carer_present": True,
        "living_conditions": 3,
        "food_insecurity": False,
        "hygiene_issue": False,
        "hazards": "",
        "signs_of_injury": False,
        "signs_of_neglect": False,
        "child_mood": "normal",
        "carer_capacity_rating": "good",
        "needs_identified": "",
        "referrals": "",
        "next_visit_due": None,
        "recorded_at": T(day),
        "source_system": "village_visit_app",
    }
    return row | over


def attendance_rows(
    child: int, statuses: str, start: str, recorded_at: str | None = None
) -> list[dict[str, Any]]:
    """One row per character of `statuses` on consecutive days from `start`: P present, U unexcused,
    E excused, H holiday. Recorded on `recorded_at` or the day itself."""
    code = {"P": "present", "U": "absent_unexcused", "E": "absent_excused", "H": "holiday"}
    rows = []
    for i, s in enumerate(statuses):
        day = T(start) + pd.Timedelta(days=i)
        rows.append(
            {
                "child_key": ck(child),
                "school_id": "S1",
                "date": day,
                "status": code[s],
                "term_id": "2024S",
                "recorded_at": T(recorded_at) if recorded_at else day,
                "source_system": "school_xueji",
            }
        )
    return rows


def school_event_row(
    child: int = 1, day: str = "2024-05-01", event_type: str = "dropout_flag", **over: Any
) -> dict[str, Any]:
    row = {
        "event_id": f"E{child}-{day}-{event_type}",
        "child_key": ck(child),
        "school_id": "S1",
        "event_date": T(day),
        "event_type": event_type,
        "screening_instrument": None,
        "screening_score": None,
        "screening_positive": None,
        "teacher_concern": "",
        "recorded_at": T(day),
        "source_system": "school_xueji",
    }
    return row | over


def member_row(child: int = 1, person: int = 10, **over: Any) -> dict[str, Any]:
    """A grandmother born 1960, primary caregiver living with the child, capable."""
    row = {
        "person_key": pk(person),
        "child_key": ck(child),
        "id_hash": None,
        "phone_hash": None,
        "relation": "paternal_grandmother",
        "birth_year": 1960,
        "alive": True,
        "lives_with_child": True,
        "is_primary_caregiver": True,
        "is_entrusted_guardian": True,
        "education_level": "primary",
        "health_status": "good",
        "disability_grade": None,
        "guardian_capacity": "capable",
        "incapacity_reason": None,
        "contactable": True,
        "valid_from": T("2023-01-01"),
        "recorded_at": T("2023-01-02"),
        "source_system": "mca_lbc_system",
    }
    return row | over


def episode_row(child: int = 1, person: int = 20, episode: str = "EP1", **over: Any) -> dict[str, Any]:
    """A parent who left on 2023-02-10 to work in another province and is still away."""
    row = {
        "episode_id": episode,
        "person_key": pk(person),
        "child_key": ck(child),
        "depart_date": T("2023-02-10"),
        "return_date": None,
        "work_province_code": "44",
        "work_city_code": "4403",
        "cross_province": True,
        "abroad": False,
        "sector": "manufacturing",
        "expected_return": "spring_festival",
        "lost_contact_since": None,
        "recorded_at": T("2023-02-15"),
        "source_system": "mca_lbc_system",
    }
    return row | over


def contact_row(
    child: int = 1, day: str = "2024-05-20", channel: str = "video_call", **over: Any
) -> dict[str, Any]:
    row = {
        "contact_id": f"K{child}-{day}-{channel}",
        "child_key": ck(child),
        "parent_key": pk(20),
        "contact_time": T(day),
        "channel": channel,
        "duration_min": 5.0,
        "initiated_by": "parent",
        "source": "visit_self_report",
        "recorded_at": T(day),
        "source_system": "village_visit_app",
    }
    return row | over


def incident_row(
    child: int = 1, day: str = "2024-05-01", incident_type: str = "injury", **over: Any
) -> dict[str, Any]:
    row = {
        "incident_id": f"I{child}-{day}-{incident_type}",
        "child_key": ck(child),
        "incident_type": incident_type,
        "event_time": T(day),
        "report_time": T(day),
        "reporter_type": "school",
        "mandatory_report": False,
        "trigger_2016": None,
        "trigger_2020": None,
        "injury_mechanism": None,
        "severity": "medical_visit",
        "location": "home",
        "emergency_disposition": None,
        "verified": "substantiated",
        "case_id": None,
        "recorded_at": T(day),
        "source_system": "police",
    }
    return row | over


def benefit_row(child: int = 1, program: str = "dibao", **over: Any) -> dict[str, Any]:
    row = {
        "benefit_id": f"B{child}-{program}",
        "child_key": ck(child),
        "program": program,
        "status": "active",
        "start_date": T("2023-06-01"),
        "end_date": None,
        "monthly_amount_cny": 500.0,
        "recorded_at": T("2023-06-05"),
        "source_system": "dibao_system",
    }
    return row | over


def calendar_rows(
    start: str,
    end: str,
    terms: list[tuple[str, str, str]],
    holidays: list[tuple[str, str, str]] = (),
    spring: tuple[str, str] | None = None,
) -> list[dict]:
    """Every day from start to end; school days inside the given terms (id, first, last) on weekdays;
    holidays (type, first, last); a Spring Festival window (first, last)."""
    rows = []
    for day in pd.date_range(start, end, freq="D"):
        term = next((tid for tid, a, b in terms if T(a) <= day <= T(b)), None)
        hol = next((h for h, a, b in holidays if T(a) <= day <= T(b)), None)
        rows.append(
            {
                "date": day,
                "is_school_day": term is not None and hol is None and day.dayofweek < 5,
                "term_id": term,
                "holiday_type": hol,
                "spring_festival_window": bool(spring and T(spring[0]) <= day <= T(spring[1])),
            }
        )
    return rows


@dataclass
class WarehouseFactory:
    """Collects rows per feed; `build` writes a DuckDB file with one table per feed that has rows (and,
    with `all_tables`, empty tables for the others, as ingest leaves them)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, feed: str, *rows: dict[str, Any] | list[dict[str, Any]]) -> WarehouseFactory:
        for r in rows:
            self.rows.setdefault(feed, []).extend(r if isinstance(r, list) else [r])
        return self

    def build(self, path: Path, all_tables: bool = False) -> Path:
        con = duckdb.connect(str(path))
        try:
            for name, feed in FEEDS.items():
                rows = self.rows.get(name, [])
                if not rows and not all_tables:
                    continue
                cols = {c: t for c, t in table_columns(feed).items() if not c.startswith("_")}
                con.execute(f'DROP TABLE IF EXISTS "{name}"')
                con.execute(f'CREATE TABLE "{name}" ({", ".join(f"{c} {t}" for c, t in cols.items())})')
                if rows:
                    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows])  # noqa: F841
                    con.execute(f'INSERT INTO "{name}" SELECT {", ".join(cols)} FROM frame')
        finally:
            con.close()
        return path
