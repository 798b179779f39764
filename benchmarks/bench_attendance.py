"""Attendance indicators for one as-of date over 100 million attendance rows (500,000 children x 200 school
days); targets: under 5 s and 8 GB peak on the 2-core machine. Prints rows/s for the spec layer (the
attendance indicators of the spec compiled by `features.indicators`) and for a hand-written DuckDB query
computing the same 30/90-day rates, trend and longest streak, so the spec layer's cost is visible.

    .venv/bin/python benchmarks/bench_attendance.py [--children 500000] [--days 200] [--keep PATH]

The table is generated inside DuckDB into --keep (reused when present; ~1 GB for 100M rows). Run it once,
late: the machine is shared."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import duckdb
import pandas as pd
import typer

AS_OF = "2024-07-01"

GENERATE = """
CREATE TABLE school_attendance AS
WITH days AS (
    SELECT d, row_number() OVER (ORDER BY d) AS k
    FROM (SELECT unnest(range(TIMESTAMP '2023-09-01', TIMESTAMP '2024-07-01', INTERVAL 1 DAY)) AS d)
    WHERE dayofweek(d) BETWEEN 1 AND 5 AND month(d) <> 2
    ORDER BY d DESC LIMIT {days}
)
SELECT 'c_' || lpad(printf('%x', i), 16, '0') AS child_key, 'S' || (i % 300) AS school_id, d AS date,
       CASE WHEN hash(i, k) % 100 < 2 + (i % 10 = 0)::INT * 10 THEN 'absent_unexcused'
            WHEN hash(i, k) % 100 < 5 THEN 'absent_excused' ELSE 'present' END AS status,
       NULL::VARCHAR AS term_id,
       d + INTERVAL (8 - dayofweek(d)) DAY AS recorded_at, 'school_xueji' AS source_system
FROM range({children}) t(i), days
"""

HAND_WRITTEN = """
WITH v AS (
    SELECT child_key, date, status = 'absent_unexcused' AS u
    FROM school_attendance
    WHERE recorded_at < TIMESTAMP '{as_of}' AND date < TIMESTAMP '{as_of}'
      AND date >= TIMESTAMP '{as_of}' - INTERVAL 180 DAY AND status <> 'holiday'
),
rates AS (
    SELECT child_key,
           avg(u::INT) FILTER (WHERE date >= TIMESTAMP '{as_of}' - INTERVAL 30 DAY) AS rate_30,
           avg(u::INT) FILTER (WHERE date >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY) AS rate_90,
           avg(u::INT) FILTER (WHERE date >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY)
             - avg(u::INT) FILTER (WHERE date < TIMESTAMP '{as_of}' - INTERVAL 90 DAY) AS change_90
    FROM v GROUP BY child_key
),
runs AS (
    SELECT child_key, max(n) AS streak FROM (
        SELECT child_key, g, count(*) AS n FROM (
            SELECT child_key, date, u,
                   row_number() OVER (PARTITION BY child_key ORDER BY date)
                 - row_number() OVER (PARTITION BY child_key, u ORDER BY date) AS g
            FROM v WHERE date >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY
        ) WHERE u GROUP BY ALL
    ) GROUP BY child_key
)
SELECT count(*), avg(rate_30), avg(rate_90), avg(change_90), avg(coalesce(streak, 0))
FROM rates LEFT JOIN runs USING (child_key)
"""


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(
    children: int = typer.Option(500_000),
    days: int = typer.Option(200),
    keep: Path = typer.Option(Path("/tmp/shouhu_bench_attendance.duckdb")),
) -> None:
    import ibis

    from features.backend import Warehouse, as_of_frame
    from features.indicators import Views, event_part, longest_run_part
    from features.spec import load_spec

    if not keep.exists():
        t = time.perf_counter()
        con = duckdb.connect(str(keep))
        con.execute(GENERATE.format(days=days, children=children))
        con.close()
        print(f"generated {keep} in {time.perf_counter() - t:.0f} s")
    con = duckdb.connect(str(keep), read_only=True)
    rows = con.execute("SELECT count(*) FROM school_attendance").fetchone()[0]
    print(f"rows: {rows:,}")

    t = time.perf_counter()
    hand = con.execute(HAND_WRITTEN.format(as_of=AS_OF)).fetchone()
    hand_s = time.perf_counter() - t
    con.close()

    spec = load_spec()
    inds = [i for i in spec.indicators if i.source == "school_attendance"]
    session = ibis.duckdb.connect()
    session.con.execute(f"ATTACH '{keep}' AS wh (READ_ONLY)")
    wh = Warehouse(session, database=("wh", "main"))
    t = time.perf_counter()
    dates = wh.load_frame("_asof_dates", as_of_frame([AS_OF]))
    v = Views(wh, dates, *(None,) * 4)  # type: ignore[arg-type]  # attendance reads no registry view
    additive = [i for i in inds if i.aggregate in ("count", "share", "share_change")]
    streak = next(i for i in inds if i.aggregate == "longest_run")
    # one as-of date: the engine joins the window (running sums pay off only from several dates on)
    parts = [event_part(v, "school_attendance", additive), longest_run_part(v, streak, None)]
    frames = [wh.execute(p.table) for p in parts]
    spec_s = time.perf_counter() - t
    merged = frames[0].merge(frames[1], on=["child_key", "as_of"], how="left")
    print(
        f"spec layer : {spec_s:6.2f} s  {rows / spec_s / 1e6:6.1f} M rows/s  "
        f"({len(merged):,} children, {len(additive) + 1} indicators: "
        f"mean 30d rate {merged['unexcused_absence_rate_30d'].mean():.4f}, "
        f"mean streak {merged[streak.name].fillna(0).mean():.3f})"
    )
    print(
        f"hand SQL   : {hand_s:6.2f} s  {rows / hand_s / 1e6:6.1f} M rows/s  "
        f"({hand[0]:,} children: mean 30d rate {hand[1]:.4f}, mean streak {hand[4]:.3f} "
        f"[records in a row, not calendar school days])"
    )
    print(f"peak RSS {peak_rss_gb():.2f} GB")
    pd.set_option("display.width", 200)


if __name__ == "__main__":
    typer.run(main)
