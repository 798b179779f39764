"""Tiny, valid feed rows (one consistent little family) and writers for the file formats ingest accepts.

Tests take a valid row, break one thing, and check what ingest says about it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

TOWNSHIP = "360321101000"
VILLAGE = "360321101201"
CHILD_NAME = "王小明"
CHILD_ID_NUMBER = "360321201205061234"
GRANDPA_NAME = "王大山"
GRANDPA_ID_NUMBER = "360321195003041235"
GRANDPA_PHONE = "13912345678"
FATHER_NAME = "王建国"
FATHER_PHONE = "15887654321"
KNOWN_NAMES = (CHILD_NAME, GRANDPA_NAME, FATHER_NAME)

Row = dict[str, Any]

_ROWS: dict[str, list[Row]] = {
    "admin_units": [
        {
            "code": TOWNSHIP,
            "level": "township",
            "name_zh": "测试镇",
            "parent_code": "360321000000",
            "urban_rural": "rural",
            "region": "central",
        },
        {
            "code": VILLAGE,
            "level": "village",
            "name_zh": "测试村",
            "parent_code": TOWNSHIP,
            "urban_rural": "rural",
            "region": "central",
        },
    ],
    "calendar": [
        {
            "date": "2024-03-01",
            "is_school_day": "true",
            "term_id": "2023-2",
            "holiday_type": None,
            "spring_festival_window": "false",
        },
    ],
    "schools": [
        {
            "school_id": "S01",
            "name_zh": "测试小学",
            "level": "primary",
            "township_code": TOWNSHIP,
            "village_code": VILLAGE,
            "boarding_capacity": "50",
        },
    ],
    "workers": [
        {
            "worker_id": "W01",
            "role": "children_director",
            "village_code": VILLAGE,
            "township_code": TOWNSHIP,
            "start_date": "2020-01-01",
            "end_date": None,
            "female": "true",
            "caseload_cap": "30",
        },
    ],
    "children_registry": [
        {
            "child_id": "C001",
            "name": CHILD_NAME,
            "id_number": CHILD_ID_NUMBER,
            "snapshot_date": "2024-01-01",
            "status": "active",
            "exit_reason": None,
            "sex": "F",
            "birth_date": "2012-05-06",
            "ethnicity_code": "01",
            "hukou_registered": "true",
            "residence_village_code": VILLAGE,
            "father_away": "true",
            "mother_away": "true",
            "lbc_type": "both_away",
            "lbc_since": "2019-01-01",
            "kunjing_types": None,
            "health_status": "healthy",
            "disability_category": None,
            "disability_grade": None,
            "illness_type": "none",
            "schooling_status": "primary",
            "school_id": "S01",
            "grade_level": "6",
            "boarding": "false",
            "guardianship_type": "grandparents",
            "guardianship_assessment": "fair",
            "entrusted_guardian_id": "P001",
            "entrustment_notified_school": "true",
            "entrustment_notified_village": "true",
            "parents_marital_status": "married",
            "family_income_sources": "migrant_work",
            "assistance_flags": None,
            "children_director_id": "W01",
            "recorded_at": "2024-01-05",
            "source_system": "mca_lbc_system",
        },
    ],
    "household_members": [
        {
            "person_id": "P001",
            "child_id": "C001",
            "name": GRANDPA_NAME,
            "id_number": GRANDPA_ID_NUMBER,
            "phone": GRANDPA_PHONE,
            "relation": "paternal_grandfather",
            "birth_year": "1950",
            "alive": "true",
            "lives_with_child": "true",
            "is_primary_caregiver": "true",
            "is_entrusted_guardian": "true",
            "education_level": "primary",
            "health_status": "good",
            "disability_grade": None,
            "guardian_capacity": "capable",
            "incapacity_reason": None,
            "contactable": "true",
            "valid_from": "2024-01-01",
            "recorded_at": "2024-01-05",
            "source_system": "mca_lbc_system",
        },
        {
            "person_id": "P002",
            "child_id": "C001",
            "name": FATHER_NAME,
            "id_number": None,
            "phone": FATHER_PHONE,
            "relation": "father",
            "birth_year": "1985",
            "alive": "true",
            "lives_with_child": "false",
            "is_primary_caregiver": "false",
            "is_entrusted_guardian": "false",
            "education_level": "junior",
            "health_status": "good",
            "disability_grade": None,
            "guardian_capacity": "capable",
            "incapacity_reason": None,
            "contactable": "true",
            "valid_from": "2024-01-01",
            "recorded_at": "2024-01-05",
            "source_system": "mca_lbc_system",
        },
    ],
    "parent_migration_episodes": [
        {
            "episode_id": "E001",
            "person_id": "P002",
            "child_id": "C001",
            "depart_date": "2019-02-01",
            "return_date": None,
            "work_province_code": "44",
            "work_city_code": "4403",
            "cross_province": "true",
            "abroad": "false",
            "sector": "construction",
            "expected_return": "spring_festival",
            "lost_contact_since": None,
            "recorded_at": "2019-02-10",
            "source_system": "mca_lbc_system",
        },
    ],
    "parent_contact_log": [
        {
            "contact_id": "K001",
            "child_id": "C001",
            "parent_id": "P002",
            "contact_time": "2024-02-01 20:00",
            "channel": "video_call",
            "duration_min": "15",
            "initiated_by": "parent",
            "source": "visit_self_report",
            "recorded_at": "2024-02-03",
            "source_system": "village_visit_app",
        },
    ],
    "visit_logs": [
        {
            "visit_id": "V001",
            "child_id": "C001",
            "worker_id": "W01",
            "worker_role": "children_director",
            "visit_date": "2024-02-10",
            "visit_type": "routine",
            "mode": "home",
            "child_seen": "true",
            "carer_present": "true",
            "living_conditions": "3",
            "food_insecurity": "false",
            "hygiene_issue": "false",
            "hazards": "open_water_nearby",
            "signs_of_injury": "false",
            "signs_of_neglect": "false",
            "child_mood": "normal",
            "carer_capacity_rating": "fair",
            "needs_identified": None,
            "referrals": None,
            "next_visit_due": "2024-05-10",
            "recorded_at": "2024-02-12",
            "source_system": "village_visit_app",
        },
    ],
    "school_attendance": [
        {
            "child_id": "C001",
            "school_id": "S01",
            "date": "2024-03-01",
            "status": "present",
            "term_id": "2023-2",
            "recorded_at": "2024-03-04",
            "source_system": "school_xueji",
        },
    ],
    "school_events": [
        {
            "event_id": "SE001",
            "child_id": "C001",
            "school_id": "S01",
            "event_date": "2024-03-05",
            "event_type": "mental_health_screening",
            "screening_instrument": "PHQ9",
            "screening_score": "4",
            "screening_positive": "false",
            "teacher_concern": None,
            "recorded_at": "2024-03-06",
            "source_system": "school_xueji",
        },
    ],
    "incidents": [
        {
            "incident_id": "I001",
            "child_id": "C001",
            "incident_type": "injury",
            "event_time": "2024-04-01 10:00",
            "report_time": "2024-04-01 12:00",
            "reporter_type": "school",
            "mandatory_report": "false",
            "trigger_2016": None,
            "trigger_2020": None,
            "injury_mechanism": "fall",
            "severity": "minor",
            "location": "school",
            "emergency_disposition": "none",
            "verified": "substantiated",
            "case_id": None,
            "recorded_at": "2024-04-02",
            "source_system": "police",
        },
    ],
    "assistance_benefits": [
        {
            "benefit_id": "B001",
            "child_id": "C001",
            "program": "dibao",
            "status": "active",
            "start_date": "2023-01-01",
            "end_date": None,
            "monthly_amount_cny": "500",
            "recorded_at": "2023-01-05",
            "source_system": "dibao_system",
        },
    ],
    "cases": [
        {
            "case_id": "CS001",
            "child_id": "C001",
            "opened_at": "2024-04-03",
            "closed_at": None,
            "trigger_source": "incident",
            "dim_safety": "1",
            "dim_guardianship": "2",
            "dim_physical_health": "0",
            "dim_mental_health": "1",
            "dim_education": "0",
            "dim_economic": "1",
            "risk_level": "yellow",
            "services_planned": "guardianship_guidance",
            "guardianship_intervention": "none",
            "review_due": "2024-07-03",
            "outcome": None,
            "recorded_at": "2024-04-03",
            "source_system": "child_welfare_system",
        },
    ],
}


def row(feed: str, **overrides: Any) -> Row:
    """The first valid row of `feed`, with `overrides` applied."""
    return copy.deepcopy(_ROWS[feed][0]) | overrides


def rows(feed: str) -> list[Row]:
    """All valid rows of `feed` in the little world (admin units and household members have two)."""
    return copy.deepcopy(_ROWS[feed])


def frame(rows_: list[Row]) -> pd.DataFrame:
    """Rows as a CSV reader would hand them over: strings, missing as empty."""
    return pd.DataFrame(rows_).fillna("").astype(str)


def write(
    folder: Path,
    feed: str,
    rows_: list[Row],
    fmt: str = "csv",
    *,
    encoding: str = "utf-8",
    stem: str | None = None,
) -> Path:
    """Write rows as `<stem or feed>.<fmt>`; csv honours `encoding` ('utf-8-sig' for a BOM, 'gbk', ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem or feed}.{fmt}"
    data = frame(rows_)
    if fmt == "csv":
        data.to_csv(path, index=False, encoding=encoding)
    elif fmt == "xlsx":
        data.to_excel(path, index=False, engine="openpyxl")
    elif fmt == "parquet":
        data.to_parquet(path, index=False)
    else:
        raise ValueError(fmt)
    return path


BASE = ("admin_units", "schools", "workers", "children_registry")  # what a feed about a child needs first


def write_world(
    folder: Path, fmt: str = "csv", skip: tuple[str, ...] = (), only: tuple[str, ...] = ()
) -> Path:
    """Every feed of the little world (or `only` these), each as one file."""
    for feed in _ROWS:
        if feed not in skip and (not only or feed in only):
            write(folder, feed, rows(feed), fmt)
    return folder
