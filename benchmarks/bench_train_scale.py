"""The training half of a province's 36-month training matrix, at full size: one as-of date of a 1M-child
province (bench_province.py's warehouse) written as an as-of Parquet partition, that partition repeated under
36 monthly as-of dates (hard links: 36 × ≈ 0.77M = ≈ 28M child-dates), then read as compact Arrow batches
with negatives subsampled and weighted past `--max-rows` and fitted with weighted LightGBM and isotonic
calibration, as `shouhu train` does with a partitioned matrix. Target (issue: the 36-month matrix for 1M
children built and trained in under 16 GB): the peak memory printed.

    .venv/bin/python benchmarks/bench_train_scale.py [--province data/bench/province/province_500x2000.duckdb]
        [--dates 36] [--max-rows 2000000] [--duckdb-memory 4GB]

What this does not show: the 36 feature dates themselves are one date's rows repeated, so the matrix is as
large as a province's 36 months but not as varied (the labels repeat too: the fitted model means nothing);
the cost of computing 36 dates of features is the one date's features step (printed) times 36, not run."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

AS_OF = pd.Timestamp("2024-07-01")


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def step(label: str, started: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    print(f"  {label:<58} {wall:7.1f} s  CPU {cpu:7.1f} s  peak {peak_gb():5.2f} GB", flush=True)
    return time.perf_counter(), time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--province", type=Path, default=Path("data/bench/province/province_500x2000.duckdb"))
    parser.add_argument("--dates", type=int, default=36)
    parser.add_argument("--max-rows", type=int, default=2_000_000, help="training rows kept (subsampling)")
    parser.add_argument("--duckdb-memory", default="4GB", help="DuckDB memory_limit for the features")
    parser.add_argument("--work", type=Path, default=None, help="partitions' folder (default: temp)")
    args = parser.parse_args()
    if not args.province.exists():
        sys.exit(f"{args.province} not found: build it with benchmarks/bench_province.py first")

    from features.backend import open_warehouse
    from features.spec import load_spec
    from training.model import BoosterParams, monotone_constraints
    from training.stream import AS_OF_DIR, fit_weighted, read_training, write_matrix_partitions

    spec = load_spec()
    inputs = spec.model_inputs()
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        folder = Path(tmp) / "training_matrix"
        print(
            f"one as-of date of {args.province.name}, repeated under {args.dates} monthly dates:", flush=True
        )
        t = (time.perf_counter(), time.process_time())
        wh = open_warehouse(args.province, memory_limit=args.duckdb_memory, spill_dir=Path(tmp) / "spill")
        first = write_matrix_partitions(wh, [AS_OF], folder, spec=spec)[0]
        wh.close()
        t = step(f"features at {AS_OF:%Y-%m-%d} → one as-of partition", t)
        for day in pd.date_range(end=AS_OF - pd.DateOffset(months=1), periods=args.dates - 1, freq="MS"):
            other = folder / AS_OF_DIR.format(day)
            other.mkdir(parents=True)
            os.link(first / "part.parquet", other / "part.parquet")
        fit = read_training(folder, inputs, max_rows=args.max_rows)
        t = step(
            f"read {fit.rows_read:,} child-dates, kept {len(fit.y):,} (negatives × {fit.negative_rate:.3f})",
            t,
        )
        cal = read_training(folder, inputs, max_rows=args.max_rows // 4, seed=1)
        t = step(f"calibration rows: {len(cal.y):,}", t)
        fit_weighted(fit, cal, inputs, monotone_constraints(inputs, spec.directions()), BoosterParams())
        step("weighted LightGBM + isotonic calibration", t)
    print(f"peak resident memory of the whole run: {peak_gb():.2f} GB (target: < 16 GB)", flush=True)


if __name__ == "__main__":
    main()
