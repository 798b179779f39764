"""Benchmark `shouhu simulate`: 20,000 children × 3 years. Target: under 2 minutes and under 4 GB peak RSS.

Run: `.venv/bin/python benchmarks/bench_simulate.py [--children 20000] [--years 3] [--out /tmp/shouhu-bench]`
Prints wall time, peak RSS and rows per feed."""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--villages", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/shouhu-bench"))
    args = parser.parse_args()

    from simulation.config import SimulationConfig
    from simulation.county import simulate

    shutil.rmtree(args.out, ignore_errors=True)
    config = SimulationConfig(
        townships=args.townships,
        villages=args.villages,
        children=args.children,
        start=date(2022, 1, 1),
        end=date(2022 + args.years - 1, 12, 31),
        seed=2024,
    )
    began = time.perf_counter()
    summary = simulate(config, args.out, progress=sys.stderr.isatty())
    wall = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(
        f"children={args.children} years={args.years} townships={args.townships} "
        f"villages/township={args.villages}"
    )
    print(f"wall_time_s={wall:.1f} (target < 120)")
    print(f"peak_rss_mb={peak_mb:.0f} (target < 4096)")
    print(f"outcomes_true={summary.outcomes_true} outcomes_detected={summary.outcomes_detected}")
    for feed, rows in summary.rows.items():
        print(f"rows[{feed}]={rows:,}")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"output_mb={size / 2**20:.0f}")


if __name__ == "__main__":
    main()
