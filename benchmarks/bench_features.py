"""All indicators, flags and labels for a 20,000-child county at 36 monthly as-of dates (target < 30 s), then
one as-of date for the whole county (serving's request-cache miss).

    .venv/bin/python benchmarks/bench_features.py [--children 20000] [--keep PATH]

The county is generated inside DuckDB (registry snapshots, visits, ~12M attendance rows, school events,
contacts, household, migration episodes, incidents, assistance benefits, calendar) with the warehouse columns
of docs/architecture.md §2, and cached at --keep (a cached county missing a feed gets it added). Keys are
synthetic pseudonyms; nothing personal is generated or printed."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import duckdb
import pandas as pd
import typer

from data_contracts.feeds import FEEDS
from data_contracts.warehouse import table_columns

START, END = "2022-01-01", "2024-12-31"

GENERATE = {
    "children_registry": """
        SELECT 'c_' || lpad(printf('%x', i), 16, '0') AS child_key, s AS snapshot_date,
               'active' AS status, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
               DATE '2008-06-01' + CAST(i * 37 % 4000 AS INT) AS birth_date,
               CASE WHEN i % 20 = 0 THEN '03' ELSE '01' END AS ethnicity_code, true AS hukou_registered,
               '5301020' || lpad(CAST(i % 40 AS VARCHAR), 5, '0') AS residence_village_code,
               i % 10 < 8 AS father_away, i % 10 < 7 AS mother_away,
               CASE WHEN i % 10 < 7 THEN 'both_away' WHEN i % 10 < 8 THEN 'one_away_other_incapable'
                    ELSE 'not_lbc' END AS lbc_type,
               CASE WHEN i % 13 = 0 THEN 'poverty_dibao' ELSE '' END AS kunjing_types,
               CASE WHEN i % 50 = 0 THEN 'disabled' ELSE 'healthy' END AS health_status,
               CASE WHEN i % 50 = 0 THEN 3 END AS disability_grade, 'none' AS illness_type,
               'primary' AS schooling_status, 'S' || (i % 30) AS school_id, 1 + i % 9 AS grade_level,
               i % 5 = 0 AS boarding,
               CASE WHEN i % 25 = 0 THEN 'self_or_siblings' WHEN i % 4 = 0 THEN 'other_relatives'
                    ELSE 'grandparents' END AS guardianship_type,
               CASE WHEN i % 9 = 0 THEN 'poor' WHEN i % 3 = 0 THEN 'fair' ELSE 'good' END
                   AS guardianship_assessment,
               i % 3 = 0 AS entrustment_notified_school, i % 2 = 0 AS entrustment_notified_village,
               'married' AS parents_marital_status, '' AS family_income_sources, '' AS assistance_flags,
               s + INTERVAL 5 DAY AS recorded_at, 'mca_lbc_system' AS source_system
        FROM range({n}) t(i), (SELECT unnest(range(DATE '{start}', DATE '{end}', INTERVAL 3 MONTH)) AS s)""",
    "visit_logs": """
        SELECT 'V' || i || '-' || k AS visit_id, 'c_' || lpad(printf('%x', i), 16, '0') AS child_key,
               'W1' AS worker_id, 'children_director' AS worker_role,
               DATE '{start}' + CAST(k * (40 + i % 30) + i % 17 AS INT) AS visit_date,
               'routine' AS visit_type,
               'home' AS mode, (i + k) % 5 <> 0 AS child_seen, true AS carer_present,
               1 + (i + k) % 5 AS living_conditions, (i * k) % 11 = 0 AS food_insecurity,
               false AS hygiene_issue, CASE WHEN i % 7 = 0 THEN 'open_water_nearby' ELSE '' END AS hazards,
               (i * k) % 97 = 0 AS signs_of_injury, (i * k) % 23 = 0 AS signs_of_neglect,
               CASE WHEN (i + k) % 6 = 0 THEN 'low' ELSE 'normal' END AS child_mood,
               CASE WHEN (i + k) % 8 = 0 THEN 'poor' WHEN (i + k) % 3 = 0 THEN 'fair' ELSE 'good' END
                   AS carer_capacity_rating, '' AS needs_identified, '' AS referrals,
               DATE '{start}' + CAST(k * (40 + i % 30) + i % 17 + 60 AS INT) AS next_visit_due,
               DATE '{start}' + CAST(k * (40 + i % 30) + i % 17 + (i + k) % 12 AS INT) AS recorded_at,
               'village_visit_app' AS source_system
        FROM range({n}) t(i), range(27) v(k)""",
    "school_attendance": """
        SELECT 'c_' || lpad(printf('%x', i), 16, '0') AS child_key, 'S' || (i % 30) AS school_id, d AS date,
               CASE WHEN hash(i, d) % 100 < 3 + (i % 10 = 0)::INT * 8 THEN 'absent_unexcused'
                    WHEN hash(i, d) % 100 < 6 THEN 'absent_excused' ELSE 'present' END AS status,
               NULL AS term_id,
               d + INTERVAL (7 - dayofweek(d)) DAY + INTERVAL 1 DAY AS recorded_at,
               'school_xueji' AS source_system
        FROM range({n}) t(i),
             (SELECT unnest(range(DATE '{start}', DATE '{end}', INTERVAL 1 DAY)) AS d) days
        WHERE i % 10 < 9 AND dayofweek(d) BETWEEN 1 AND 5 AND month(d) NOT IN (2, 7, 8)""",
    "school_events": """
        SELECT 'E' || i || '-' || k AS event_id, 'c_' || lpad(printf('%x', i), 16, '0') AS child_key,
               'S' || (i % 30) AS school_id,
               DATE '{start}' + CAST((i * 13 + k * 181) % 1090 AS INT) AS event_date,
               CASE k % 4 WHEN 0 THEN 'mental_health_screening' WHEN 1 THEN 'teacher_concern'
                    WHEN 2 THEN CASE WHEN i % 50 = 0 THEN 'dropout_flag' WHEN i % 25 = 0 THEN 'transfer_out'
                                     ELSE 'transfer_in' END
                    ELSE 'grade_repeat' END AS event_type,
               CASE WHEN k % 4 = 0 THEN 'PHQ9' END AS screening_instrument,
               CASE WHEN k % 4 = 0 THEN CAST(hash(i, k) % 27 AS DOUBLE) END AS screening_score,
               CASE WHEN k % 4 = 0 THEN hash(i, k) % 27 >= 10 END AS screening_positive,
               CASE WHEN k % 4 = 1 THEN CASE WHEN i % 3 = 0 THEN 'mood;absenteeism' ELSE 'behaviour' END
                    ELSE '' END AS teacher_concern,
               DATE '{start}' + CAST((i * 13 + k * 181) % 1090 + 7 AS INT) AS recorded_at,
               'school_xueji' AS source_system
        FROM range({n}) t(i), range(6) q(k) WHERE hash(i, k) % 100 < 40""",
    "parent_contact_log": """
        SELECT 'K' || i || '-' || k AS contact_id, 'c_' || lpad(printf('%x', i), 16, '0') AS child_key,
               'p_' || lpad(printf('%x', 2 * i), 16, '0') AS parent_key,
               DATE '{start}' + CAST(k * (20 + i % 40) AS INT) AS contact_time,
               CASE WHEN k % 12 = 0 THEN 'parent_home_visit' ELSE 'video_call' END AS channel,
               5.0 AS duration_min, 'parent' AS initiated_by, 'visit_self_report' AS source,
               DATE '{start}' + CAST(k * (20 + i % 40) + 3 AS INT) AS recorded_at,
               'village_visit_app' AS source_system
        FROM range({n}) t(i), range(40) c(k) WHERE k * (20 + i % 40) < 1090""",
    "household_members": """
        SELECT 'p_' || lpad(printf('%x', 2 * i + 1), 16, '0') AS person_key,
               'c_' || lpad(printf('%x', i), 16, '0') AS child_key, 'paternal_grandmother' AS relation,
               1950 + i % 20 AS birth_year, true AS alive, true AS lives_with_child,
               true AS is_primary_caregiver,
               true AS is_entrusted_guardian, 'primary' AS education_level,
               CASE WHEN i % 15 = 0 THEN 'severe_illness' ELSE 'good' END AS health_status,
               CASE WHEN i % 30 = 0 THEN 'incapable' WHEN i % 6 = 0 THEN 'limited' ELSE 'capable' END
                   AS guardian_capacity,
               DATE '2021-01-01' AS valid_from, DATE '2021-01-05' AS recorded_at,
               'mca_lbc_system' AS source_system
        FROM range({n}) t(i)""",
    "parent_migration_episodes": """
        SELECT 'EP' || i || '-' || p AS episode_id, 'p_' || lpad(printf('%x', 2 * i + p * 1000000), 16, '0')
                   AS person_key, 'c_' || lpad(printf('%x', i), 16, '0') AS child_key,
               DATE '2021-02-15' + CAST(i % 200 AS INT) AS depart_date, NULL::TIMESTAMP AS return_date,
               CASE WHEN i % 40 = 0 THEN DATE '2022-03-01' END AS lost_contact_since,
               DATE '2021-03-01' + CAST(i % 200 AS INT) AS recorded_at, 'mca_lbc_system' AS source_system
        FROM range({n}) t(i), range(2) q(p)""",
    "incidents": """
        SELECT 'I' || i || '-' || k AS incident_id, 'c_' || lpad(printf('%x', i), 16, '0') AS child_key,
               CASE WHEN k % 3 = 0 THEN 'injury' WHEN k % 3 = 1 THEN 'neglect' ELSE 'abuse' END
                   AS incident_type,
               DATE '{start}' + CAST((i * 7 + k * 131) % 1090 AS INT) AS event_time,
               DATE '{start}' + CAST((i * 7 + k * 131) % 1090 + 2 AS INT) AS report_time,
               'school' AS reporter_type,
               false AS mandatory_report, 'medical_visit' AS severity, 'substantiated' AS verified,
               DATE '{start}' + CAST((i * 7 + k * 131) % 1090 + 3 AS INT) AS recorded_at,
               'police' AS source_system
        FROM range({n}) t(i), range(3) q(k) WHERE hash(i, k) % 100 < 4""",
    "assistance_benefits": """
        SELECT 'B' || i || '-' || p AS benefit_id, 'c_' || lpad(printf('%x', i), 16, '0') AS child_key,
               CASE p WHEN 0 THEN 'dibao' WHEN 1 THEN 'education_aid' ELSE 'tekun' END AS program,
               CASE WHEN i % 7 = 0 THEN 'terminated' ELSE 'active' END AS status,
               DATE '{start}' + CAST(i % 900 AS INT) AS start_date,
               CASE WHEN i % 7 = 0 THEN DATE '{start}' + CAST(i % 900 + 180 AS INT) END AS end_date,
               300.0 + i % 5 * 100 AS monthly_amount_cny,
               DATE '{start}' + CAST(i % 900 + 10 AS INT) AS recorded_at, 'dibao_system' AS source_system
        FROM range({n}) t(i), range(3) q(p) WHERE (i + p) % 6 = 0""",
    "calendar": """
        SELECT d AS date, dayofweek(d) BETWEEN 1 AND 5 AND month(d) NOT IN (2, 7, 8) AS is_school_day,
               CASE WHEN month(d) BETWEEN 3 AND 6 THEN year(d) || 'S' WHEN month(d) >= 9 THEN year(d) || 'F'
                    WHEN month(d) = 1 THEN (year(d) - 1) || 'F' END AS term_id,
               CASE WHEN month(d) IN (7, 8) THEN 'summer' WHEN month(d) = 2 THEN 'winter' END AS holiday_type,
               month(d) = 2 AS spring_festival_window
        FROM (SELECT unnest(range(DATE '2021-06-01', DATE '2025-12-31', INTERVAL 1 DAY)) AS d)""",
}


def generate(path: Path, children: int) -> list[str]:
    """Create every feed table of GENERATE that `path` lacks; returns their names."""
    con = duckdb.connect(str(path))
    made = []
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if present:  # a cached county: add a missing feed for the same children
            children = con.execute("SELECT count(DISTINCT child_key) FROM children_registry").fetchone()[0]
        for name, sql in GENERATE.items():
            if name in present:
                continue
            made.append(name)
            cols = {c: t for c, t in table_columns(FEEDS[name]).items() if not c.startswith("_")}
            con.execute(f'CREATE TABLE "{name}" ({", ".join(f"{c} {t}" for c, t in cols.items())})')
            con.execute(f'INSERT INTO "{name}" BY NAME {sql.format(n=children, start=START, end=END)}')
    finally:
        con.close()
    return made


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(
    children: int = typer.Option(20_000, help="Children in the county."),
    keep: Path = typer.Option(Path("/tmp/shouhu_bench_county.duckdb"), help="Cached generated warehouse."),
) -> None:
    from features.pipeline import _PLANS, build_matrix

    t = time.perf_counter()
    made = generate(keep, children)
    if made:
        print(f"generated {', '.join(made)} in {keep} in {time.perf_counter() - t:.1f} s")
    con = duckdb.connect(str(keep), read_only=True)
    sizes = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in GENERATE}
    con.close()
    print("rows:", ", ".join(f"{n} {c:,}" for n, c in sizes.items()))

    dates = list(pd.date_range("2022-01-01", periods=36, freq="MS"))
    t = time.perf_counter()
    m = build_matrix(keep, dates)
    cold = time.perf_counter() - t
    print(f"36 monthly as-of dates, compile + run: {cold:.1f} s -> {len(m):,} rows x {m.shape[1]} columns")
    t = time.perf_counter()
    m = build_matrix(keep, dates)
    warm = time.perf_counter() - t
    print(f"36 monthly as-of dates, plan cached:   {warm:.1f} s ({len(m) / warm:,.0f} matrix rows/s)")
    t = time.perf_counter()
    one = build_matrix(keep, ["2024-12-01"])
    print(f"one as-of date (serving cache miss):  {time.perf_counter() - t:.2f} s -> {len(one):,} children")
    _PLANS.clear()
    print(f"peak RSS {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    typer.run(main)
