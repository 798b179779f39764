"""Ingest speed on a county-sized attendance feed (default: 20,000 children, 8M attendance rows, as the
simulator's 3-year county). Prints seconds, rows per second and peak memory.

    .venv/bin/python benchmarks/bench_ingest.py                # 8M rows
    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000 --bad-share 0.01
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

VILLAGE = "360321101201"


def _registry(children: int) -> pd.DataFrame:
    ids = [f"C{i:06d}" for i in range(children)]
    return pd.DataFrame(
        {
            "child_id": ids,
            "name": "测试",
            "id_number": None,
            "snapshot_date": "2024-01-01",
            "status": "active",
            "exit_reason": None,
            "sex": "F",
            "birth_date": "2012-05-06",
            "ethnicity_code": "01",
            "hukou_registered": True,
            "residence_village_code": VILLAGE,
            "father_away": True,
            "mother_away": True,
            "lbc_type": "both_away",
            "lbc_since": None,
            "kunjing_types": None,
            "health_status": "healthy",
            "disability_category": None,
            "disability_grade": None,
            "illness_type": "none",
            "schooling_status": "primary",
            "school_id": "S01",
            "grade_level": 3,
            "boarding": False,
            "guardianship_type": "grandparents",
            "guardianship_assessment": "fair",
            "entrusted_guardian_id": None,
            "entrustment_notified_school": None,
            "entrustment_notified_village": None,
            "parents_marital_status": "married",
            "family_income_sources": "migrant_work;farming_livestock",
            "assistance_flags": None,
            "children_director_id": "W01",
            "recorded_at": "2024-01-05",
            "source_system": "mca_lbc_system",
        }
    )


def _reference_tables(folder: Path) -> None:
    """The school and the 儿童主任 the registry and attendance rows point at (checked references)."""
    pd.DataFrame(
        [
            {
                "school_id": "S01",
                "name_zh": "测试小学",
                "level": "primary",
                "township_code": VILLAGE,
                "village_code": VILLAGE,
                "boarding_capacity": 50,
            }
        ]
    ).to_parquet(folder / "schools.parquet")
    pd.DataFrame(
        [
            {
                "worker_id": "W01",
                "role": "children_director",
                "village_code": VILLAGE,
                "township_code": VILLAGE,
                "start_date": pd.Timestamp("2020-01-01"),
                "end_date": None,
                "female": True,
                "caseload_cap": 30,
            }
        ]
    ).to_parquet(folder / "workers.parquet")


def _attendance(rows: int, children: int, bad_share: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2021-09-01", periods=max(rows // children, 1) + 1)
    child = np.arange(rows) % children
    day = days[np.arange(rows) // children]
    status = rng.choice(
        ["present", "absent_excused", "absent_unexcused", "late"], size=rows, p=[0.93, 0.03, 0.02, 0.02]
    )
    if bad_share:
        status[rng.random(rows) < bad_share] = "迟到了"  # not a term of the vocabulary
    ids = np.array([f"C{i:06d}" for i in range(children)])
    return pd.DataFrame(
        {
            "child_id": ids[child],
            "school_id": "S01",
            "date": day,
            "status": status,
            "term_id": "2021-1",
            "recorded_at": day + pd.Timedelta(days=3),
            "source_system": "school_xueji",
        }
    )


def main(
    rows: Annotated[int, typer.Option(help="Attendance rows.")] = 8_000_000,
    children: Annotated[int, typer.Option(help="Children in the registry.")] = 20_000,
    bad_share: Annotated[float, typer.Option(help="Share of attendance rows with a bad code.")] = 0.0,
) -> None:
    from data_contracts.ingest import ingest_folder

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "feeds"
        folder.mkdir()
        pd.DataFrame(
            [
                {
                    "code": VILLAGE,
                    "level": "village",
                    "name_zh": "测试村",
                    "parent_code": None,
                    "urban_rural": "rural",
                    "region": "central",
                }
            ]
        ).to_parquet(folder / "admin_units.parquet")
        _reference_tables(folder)
        _registry(children).to_parquet(folder / "children_registry.parquet")
        t0 = time.perf_counter()
        _attendance(rows, children, bad_share).to_parquet(folder / "school_attendance.parquet")
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = ingest_folder(folder, Path(tmp) / "wh.duckdb", "bench-secret", progress=True)
        took = time.perf_counter() - t0
    counts = report.feeds["school_attendance"]
    if report.errors or report.total.quarantined > counts.quarantined:  # the setup itself must load cleanly
        raise SystemExit(f"benchmark setup did not load: {report.errors or report.feeds}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"attendance rows:        {rows:,} ({children:,} children), generated in {made:.1f} s")
    print(f"ingest wall time:       {took:.1f} s  ({rows / took:,.0f} rows/s)")
    print(
        f"loaded / quarantined / duplicate: {counts.loaded:,} / {counts.quarantined:,} / {counts.duplicate:,}"
    )
    print(f"peak RSS:               {peak_mb:,.0f} MB")


if __name__ == "__main__":
    typer.run(main)
