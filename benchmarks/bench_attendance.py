"""Attendance indicators for one as-of date over 100 million attendance rows (500,000 children x 200 school
days); targets: under 5 s and 8 GB peak on the 2-core machine. Prints rows/s for the spec layer (all six
attendance indicators of the spec compiled by `features.indicators`) and for a hand-written DuckDB query
computing the same six — 30-day unexcused days and rate, 90-day rate, its change vs the 90 days before, the
longest streak on consecutive school days, and the rate in the first 14 days of each term over a year — so
the spec layer's cost is visible.

    .venv/bin/python benchmarks/bench_attendance.py [--children 500000] [--days 200] [--keep PATH]

The attendance table and a school calendar (school days, terms, holidays: what the streak and the
post-holiday rate read) are generated inside DuckDB into --keep (reused when present; ~1 GB for 100M rows).
Run it once, late: the machine is shared."""

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

# The same school year as the attendance days: weekdays outside February (winter holiday) and July–August
# (summer); terms 2023F (Sep–Jan) and 2024S (Mar–Jun).
CALENDAR = """
CREATE TABLE calendar AS
SELECT d AS date, dayofweek(d) BETWEEN 1 AND 5 AND month(d) NOT IN (2, 7, 8) AS is_school_day,
       CASE WHEN month(d) >= 9 THEN year(d) || 'F' WHEN month(d) = 1 THEN (year(d) - 1) || 'F'
            WHEN month(d) BETWEEN 3 AND 6 THEN year(d) || 'S' END AS term_id,
       CASE WHEN month(d) IN (7, 8) THEN 'summer' WHEN month(d) = 2 THEN 'winter' END AS holiday_type,
       month(d) = 2 AS spring_festival_window
FROM (SELECT unnest(range(TIMESTAMP '2023-07-01', TIMESTAMP '2024-09-01', INTERVAL 1 DAY)) AS d)
"""

# The fair baseline, covering the same six indicators: one scan of the year before as_of (recorded_at < as_of,
# holidays out) with filtered counts for the rates, the change and the post-holiday share (the first 14 days
# of each term, found by a hash join with those few calendar days); gaps-and-islands only over the unexcused
# absences of the 90-day window, numbered by the calendar's school days as the spec layer does.
HAND_WRITTEN = """
WITH school AS (
    SELECT date, row_number() OVER (ORDER BY date) AS idx FROM calendar WHERE is_school_day
),
starts AS (
    SELECT term_id, min(date) AS s FROM calendar WHERE is_school_day AND term_id IS NOT NULL GROUP BY term_id
),
post_days AS (
    SELECT DISTINCT c.date FROM calendar c JOIN starts ON c.date >= s AND c.date < s + INTERVAL 14 DAY
),
rates AS (
    SELECT child_key,
           count_if(u AND date >= TIMESTAMP '{as_of}' - INTERVAL 30 DAY) AS u30,
           count_if(date >= TIMESTAMP '{as_of}' - INTERVAL 30 DAY) AS n30,
           count_if(u AND date >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY) AS u90,
           count_if(date >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY) AS n90,
           count_if(u AND date >= TIMESTAMP '{as_of}' - INTERVAL 180 DAY) AS u180,
           count_if(date >= TIMESTAMP '{as_of}' - INTERVAL 180 DAY) AS n180,
           count_if(u AND post) AS up, count_if(post) AS np
    FROM (SELECT a.child_key, a.date, a.status = 'absent_unexcused' AS u, p.date IS NOT NULL AS post
          FROM school_attendance a LEFT JOIN post_days p ON a.date = p.date
          WHERE a.date >= TIMESTAMP '{as_of}' - INTERVAL 365 DAY AND a.date < TIMESTAMP '{as_of}'
            AND a.recorded_at < TIMESTAMP '{as_of}' AND a.status <> 'holiday')
    GROUP BY child_key
),
hits AS (
    SELECT a.child_key, s.idx
    FROM school_attendance a JOIN school s ON a.date = s.date
    WHERE a.date >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY AND a.date < TIMESTAMP '{as_of}'
      AND a.recorded_at < TIMESTAMP '{as_of}' AND a.status = 'absent_unexcused'
),
runs AS (
    SELECT child_key, max(n) AS streak FROM (
        SELECT child_key, count(DISTINCT idx) AS n FROM (
            SELECT child_key, idx, idx - dense_rank() OVER (PARTITION BY child_key ORDER BY idx) AS g
            FROM hits
        ) GROUP BY child_key, g
    ) GROUP BY child_key
)
SELECT count(*) FILTER (WHERE n180 > 0), avg(u30 / nullif(n30, 0)), avg(u90 / nullif(n90, 0)),
       avg(u90 / nullif(n90, 0) - (u180 - u90) / nullif(n180 - n90, 0)),
       avg(coalesce(streak, 0)) FILTER (WHERE n180 > 0), avg(up / nullif(np, 0)),
       avg(u30) FILTER (WHERE n30 > 0)
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
    from features.indicators import Views, event_part, longest_run_part, post_holiday_part
    from features.spec import load_spec

    if not keep.exists():
        t = time.perf_counter()
        con = duckdb.connect(str(keep))
        con.execute(GENERATE.format(days=days, children=children))
        con.close()
        print(f"generated {keep} in {time.perf_counter() - t:.0f} s")
    con = duckdb.connect(str(keep))
    if not con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'calendar'"
    ).fetchone()[0]:
        con.execute(CALENDAR)  # a table kept from before the calendar was generated gets one now
    con.close()
    con = duckdb.connect(str(keep), read_only=True)
    # reading every column once (untimed) puts both timed runs on the same warm OS page cache
    rows = con.execute(
        "SELECT count(*), count(child_key), count(status), max(date), max(recorded_at) FROM school_attendance"
    ).fetchone()[0]
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
    post = next(i for i in inds if i.aggregate == "post_holiday_share")
    # one as-of date: the engine joins the window (running sums pay off only from several dates on)
    parts = [
        event_part(v, "school_attendance", additive),
        longest_run_part(v, streak, None),
        post_holiday_part(v, post),
    ]
    frames = [wh.execute(p.table) for p in parts]
    spec_s = time.perf_counter() - t
    merged = frames[0]
    for extra in frames[1:]:
        merged = merged.merge(extra, on=["child_key", "as_of"], how="left")
    covered = len(additive) + 2
    if covered != len(inds):
        raise SystemExit(f"the spec has {len(inds)} attendance indicators; the benchmark times {covered}")
    print(f"{'':11s}  {'seconds':>8s}  {'M rows/s':>8s}  children  30d rate  streak  post-hol.  30d days")
    print(
        f"{'spec layer':11s}  {spec_s:8.2f}  {rows / spec_s / 1e6:8.1f}  {len(merged):8,}  "
        f"{merged['unexcused_absence_rate_30d'].mean():8.4f}  {merged[streak.name].fillna(0).mean():6.3f}  "
        f"{merged[post.name].mean():9.4f}  {merged['unexcused_absence_days_30d'].mean():8.3f}"
        f"   ({covered} indicators)"
    )
    print(
        f"{'hand SQL':11s}  {hand_s:8.2f}  {rows / hand_s / 1e6:8.1f}  {hand[0]:8,}  {hand[1]:8.4f}  "
        f"{hand[4]:6.3f}  {hand[5]:9.4f}  {hand[6]:8.3f}   (the same {covered})"
    )
    print(f"spec layer / hand SQL: {spec_s / hand_s:.2f}x")
    print(f"peak RSS {peak_rss_gb():.2f} GB")
    pd.set_option("display.width", 200)


if __name__ == "__main__":
    typer.run(main)
