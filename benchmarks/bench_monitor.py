"""`shouhu monitor`'s computation for a 20,000-child county at one as-of date (target < 10 s), and with
`--copies N` for a warehouse of N copies of that county with fresh keys, one township per copy (N = 50 gives
1M children; target < 2 min).

    .venv/bin/python benchmarks/bench_monitor.py [--children 20000] [--copies 50]

The county is generated inside DuckDB by benchmarks/bench_features.py (cached at --keep). The service database
(SQLite, cached beside the warehouse as `<name>.service<months>.db`) gets one township list per township and
month for the last `--list-months` months, covering every child, plus a few decisions and concern levels. The
champion is a LightGBM model fitted on the county's own matrix of an earlier date (synthetic label; the
replicated warehouse uses the county's), whose reference histograms are its drift reference. The warehouses
are written directly, not through ingest, so the feed high-water marks ingest keeps are built from their rows
first (setup, timed). Drift is measured on a fixed sample (the smallest keys) of `--drift-sample` children
(SHOUHU_DRIFT_SAMPLE), i.e. on every child of the county. Printed: the wall and CPU time of each monitoring
step and of the whole run (CPU time counts every thread of the process); nothing personal."""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import typer

sys.path.insert(0, str(Path(__file__).parent))
from bench_features import GENERATE, generate

AS_OF = dt.date(2024, 12, 15)


def replicate(source: Path, target: Path, copies: int) -> None:
    """`copies` copies of every feed table of `source` in `target`, keys suffixed per copy and each copy's
    children moved to their own township (copy number as the township digits)."""
    if target.exists():
        return
    con = duckdb.connect(str(target))
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    try:
        for name in GENERATE:
            cols = [r[0] for r in con.execute(f'DESCRIBE src."{name}"').fetchall()]
            if "child_key" not in cols:
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM src."{name}"')
                continue
            select = []
            for c in cols:
                if c == "child_key":
                    # the copy number in the key's leading hex digits: the same format, a fresh key
                    select.append(
                        "'c_' || lpad(printf('%x', k), 4, '0') || right(child_key, 12) AS child_key"
                    )
                elif c in ("person_key", "parent_key"):
                    select.append(f"{c} || '-' || k AS {c}")
                elif c == "residence_village_code":
                    select.append(
                        "left(residence_village_code, 6) || lpad(CAST(k AS VARCHAR), 3, '0') "
                        "|| right(residence_village_code, 3) AS residence_village_code"
                    )
                else:
                    select.append(f'"{c}"')
            con.execute(
                f'CREATE TABLE "{name}" AS SELECT {", ".join(select)} FROM src."{name}", range({copies}) c(k)'
            )
    finally:
        con.close()


def service_database(path: Path, warehouse: Path, months: int) -> int:
    """Township lists of every child for the last `months` months before AS_OF in a SQLite file at `path`
    (reused when it exists: building 6M rows takes minutes); returns the list rows it holds. The rows go in
    through the DB-API's executemany, not the ORM: this is setup, not the thing measured."""
    import sqlite3

    from serving.db import make_engine, migrate

    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{partial}")
        migrate(engine)
        engine.dispose()
        con = duckdb.connect(str(warehouse), read_only=True)
        children = con.execute(
            "SELECT child_key, arg_max(residence_village_code, snapshot_date) FROM children_registry "
            "GROUP BY child_key ORDER BY child_key"
        ).df()
        con.close()
        children.columns = ["child_key", "village_code"]
        children["township"] = children["village_code"].str.slice(0, 9) + "000"
        _write_lists(sqlite3.connect(partial), children, months)
        partial.rename(path)
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM visit_list_rows").fetchone()[0])
    finally:
        db.close()


def _write_lists(db, children: pd.DataFrame, months: int) -> None:
    rng = np.random.default_rng(0)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")  # as SQLAlchemy stores it
    row_sql = (
        "INSERT INTO visit_list_rows (list_id, rank, child_key, village_code, probability, percentile, band, "
        "rule_flags, reasons, protective_reasons, data_freshness) "
        "VALUES (?, ?, ?, ?, 0.1, 50.0, 'green', '', '[]', '[]', '{}')"
    )
    with db:
        for m in range(months):
            day = (pd.Timestamp(AS_OF) - pd.DateOffset(months=m)).date().replace(day=1)
            for township, part in children.groupby("township"):
                list_id = db.execute(
                    "INSERT INTO visit_lists (scope_kind, scope_code, as_of, model_name, model_version, "
                    "tie_break, row_count, created_by, created_at) "
                    "VALUES ('township', ?, ?, 'bench', '1', 't', ?, 'bench', ?)",
                    (township, day.isoformat(), len(part), now),
                ).lastrowid
                order = rng.permutation(len(part)) + 1
                db.executemany(
                    row_sql,
                    zip(
                        [list_id] * len(part),
                        order.tolist(),
                        part["child_key"],
                        part["village_code"],
                        strict=True,
                    ),
                )
                if m == 0:  # this cycle's decisions and concerns: the top 40 of each list
                    top = db.execute(
                        "SELECT id, rank, child_key FROM visit_list_rows WHERE list_id = ? AND rank <= 40",
                        (list_id,),
                    ).fetchall()
                    db.executemany(
                        "INSERT INTO decisions (list_row_id, child_key, action, out_of_order, decided_by, "
                        "role, decided_at) VALUES (?, ?, 'visited', ?, 'b', 'children_director', ?)",
                        [(i, key, rank % 7 == 0, now) for i, rank, key in top],
                    )
                    db.executemany(
                        "INSERT INTO concern_levels (child_key, cycle, level, given_by, role, given_at) "
                        "VALUES (?, ?, 'low', 'b', 'children_director', ?)",
                        [(key, day.isoformat(), now) for _, _, key in top],
                    )
    db.close()


def champion(warehouse: Path):
    """A LightGBM champion fitted on the county's matrix of an earlier date (synthetic label). The replicated
    warehouse's champion is the county's: its copies have the county's distribution."""
    from features.pipeline import build_matrix
    from features.spec import load_spec
    from serving.monitoring.run import ChampionView
    from training.model import fit_risk_model
    from training.pyfunc import score_frame

    spec = load_spec()
    matrix = build_matrix(warehouse, ["2024-06-01"], spec=spec).sample(n=20_000, replace=True, random_state=0)
    inputs = spec.model_inputs()
    x = matrix[inputs].to_numpy(dtype="float64", na_value=0.0)
    rng = np.random.default_rng(1)
    matrix["label"] = (rng.random(len(matrix)) < 1 / (1 + np.exp(3 - 0.3 * np.nan_to_num(x[:, 0])))).astype(
        int
    )
    half = len(matrix) // 2
    parts = fit_risk_model(matrix.iloc[:half], matrix.iloc[half:], matrix, spec)
    view = ChampionView(
        name="bench",
        version="1",
        spec=spec,
        predict=lambda m: score_frame(m, parts, explain=False),
        inputs=inputs,
        reference=parts.drift,
    )
    return view


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def ensure_marks(warehouse: Path, label: str) -> None:
    """The high-water marks ingest would have kept while loading these rows."""
    from data_contracts import watermarks

    con = duckdb.connect(str(warehouse))
    try:
        t, c = time.perf_counter(), time.process_time()
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if watermarks.TABLE in present:
            return
        watermarks.rebuild(con)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"[{label}] feed high-water marks built from the rows in {wall:.1f} s, CPU {cpu:.1f} s (setup)")
    finally:
        con.close()


def timed(label: str, name: str, step, note=lambda found: "") -> object:
    t, c = time.perf_counter(), time.process_time()
    found = step()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"[{label}]   {name:<22} {wall:6.2f} s  CPU {cpu:6.2f} s  {note(found)}")
    return found


def measure(
    warehouse: Path, county: Path, months: int, label: str, drift_sample: int, compare: bool
) -> None:
    from sqlalchemy.orm import Session

    from features.backend import open_warehouse
    from serving.db import make_engine
    from serving.monitoring import casework, feeds, lists
    from serving.monitoring.run import Thresholds, model_drift, run_monitor

    service = warehouse.with_name(f"{warehouse.stem}.service{months}.db")
    t = time.perf_counter()
    rows = service_database(service, warehouse, months)
    print(f"[{label}] service database: {rows:,} list rows in {time.perf_counter() - t:.1f} s (setup)")
    url = f"sqlite:///{service}"
    t = time.perf_counter()
    view = champion(county)
    print(f"[{label}] champion fitted in {time.perf_counter() - t:.1f} s (setup)")
    ensure_marks(warehouse, label)
    engine = make_engine(url)
    count = lambda found: f"({len(found)} figures)"  # noqa: E731
    with Session(engine) as session:
        wh = open_warehouse(warehouse)
        how = "high-water marks" if feeds.marks_cover(wh, feeds.monitored_feeds(wh)) else "scan"
        timed(label, f"freshness ({how})", lambda: feeds.freshness(wh, AS_OF, 14, None), count)
        timed(label, "quarantine", lambda: feeds.quarantine(wh, 0.05, None), count)
        timed(
            label,
            "realised precision",
            lambda: lists.realised_quality(session, wh, AS_OF, 90, 40, 0.0),
            count,
        )
        timed(label, "selection by group", lambda: lists.selection(session, wh, AS_OF, 40), count)
        wh.close()
        timed(label, "caseworker behaviour", lambda: casework.behaviour(session, AS_OF, 0.5))

        def sampled(found: list) -> str:
            d = found[0].detail if found else {}
            basis = f"sample of {d['sample']:,} of {d['children']:,} children" if "sample" in d else "all"
            return f"({len(found)} figures; {basis})"

        timed(
            label,
            "drift (features+PSI)",
            lambda: model_drift(warehouse, AS_OF, view, 0.25, None, sample=drift_sample),
            sampled,
        )
        if compare:  # what the two slow steps cost before: scanning the feeds, every child's features
            wh = open_warehouse(warehouse)
            timed(
                label, "freshness (scan)", lambda: feeds.scanned_frame(wh, AS_OF), lambda f: "(compare)"
            )
            wh.close()
            timed(
                label,
                "drift (all children)",
                lambda: model_drift(warehouse, AS_OF, view, 0.25, None),
                lambda f: "(compare)",
            )
        t, c = time.perf_counter(), time.process_time()
        result = run_monitor(
            warehouse,
            session,
            AS_OF,
            horizon_days=90,
            visits_per_township=40,
            thresholds=Thresholds(),
            champion=view,
            drift_sample=drift_sample,
        )
        total, cpu = time.perf_counter() - t, time.process_time() - c
    engine.dispose()
    print(
        f"[{label}] whole monitor run at one as-of date: {total:.1f} s (CPU {cpu:.1f} s), "
        f"{len(result.figures)} figures, {len(result.alerts)} alerts; peak RSS {peak_rss_gb():.2f} GB"
    )


def main(
    children: int = typer.Option(20_000, help="Children in the county."),
    copies: int = typer.Option(
        0, help="Also measure a warehouse of this many copies of the county (50: 1M)."
    ),
    list_months: int = typer.Option(6, help="Months of issued lists in the service database."),
    drift_sample: int = typer.Option(50_000, help="Children drift is measured on (SHOUHU_DRIFT_SAMPLE)."),
    compare: bool = typer.Option(False, help="Also time freshness by scanning and drift on every child."),
    skip_county: bool = typer.Option(False, help="Measure only the replicated warehouse."),
    keep: Path = typer.Option(Path("/tmp/shouhu_bench_county.duckdb"), help="Cached generated county."),
    big: Path = typer.Option(
        Path("/tmp/shouhu_bench_monitor_big.duckdb"), help="Cached replicated warehouse."
    ),
) -> None:
    t = time.perf_counter()
    made = generate(keep, children)
    if made:
        print(f"generated {', '.join(made)} in {time.perf_counter() - t:.1f} s")
    if not skip_county:
        measure(keep, keep, list_months, f"{children:,} children", drift_sample, compare)
    if copies:
        t = time.perf_counter()
        replicate(keep, big, copies)
        con = duckdb.connect(str(big), read_only=True)
        n = con.execute("SELECT count(DISTINCT child_key) FROM children_registry").fetchone()[0]
        con.close()
        print(f"replicated warehouse: {n:,} children ({time.perf_counter() - t:.1f} s, setup)")
        measure(big, keep, list_months, f"{n:,} children", drift_sample, compare)


if __name__ == "__main__":
    typer.run(main)
