"""Benchmark the closed-loop policy evaluation: 5,000 children, 1 year of burn-in + 2 years compared, five
policies (tier, checklist, random, oracle, model), 3 seeds, one visit-effect preset. Target: under 15 minutes
per seed on a 2-core machine; the arms run in `--jobs` worker processes (default 2, one per core).

Run: `.venv/bin/python benchmarks/bench_policy.py [--children 5000] [--seeds 1,2,3] [--effects modest]
[--policies tier,checklist,random,oracle,model] [--work /tmp/shouhu-bench-policy] [--jobs 2]`
Prints each arm as it finishes (figures, wall and CPU seconds), then the comparison table and where the time
went."""

from __future__ import annotations

import argparse
import os
import shutil
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--townships", type=int, default=4)
    parser.add_argument("--villages", type=int, default=6)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--effects", default="modest")
    parser.add_argument("--policies", default="tier,checklist,random,oracle,model")
    parser.add_argument("--work", type=Path, default=Path("/tmp/shouhu-bench-policy"))
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (arms run in parallel)")
    parser.add_argument(
        "--end", default="2025-12-31", help="last simulated day (1 y burn-in from 2023-01-01)"
    )
    args = parser.parse_args()

    from rich.console import Console

    from simulation.config import SimulationConfig
    from simulation.policy_eval import evaluate
    from simulation.policy_report import print_tables

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    config = SimulationConfig(
        townships=args.townships,
        villages=args.villages,
        children=args.children,
        start=date(2023, 1, 1),
        end=date.fromisoformat(args.end),
    )
    console = Console(width=160)
    began, cpu = time.perf_counter(), time.process_time()

    def say(message: str) -> None:
        console.print(f"[{time.perf_counter() - began:7.0f} s] {message}", highlight=False)

    ev = evaluate(
        config,
        policies=args.policies.split(","),
        seeds=[int(s) for s in args.seeds.split(",")],
        effects=args.effects.split(","),
        burn_in_days=365,
        work_dir=args.work,
        tracking_uri=f"sqlite:///{args.work / 'mlflow.db'}",
        artifact_root=args.work / "mlruns",
        say=say,
        jobs=args.jobs,
    )
    wall = time.perf_counter() - began
    for a in ev.arms:
        m = a.measures
        console.print(
            f"{a.policy:9} seed {a.seed} {a.effects:7} serious/1000 {m['serious_per_1000']:6.1f} "
            f"undetected/1000 {m['undetected_per_1000']:6.1f} detected {m['share_detected']:.2f} "
            f"{a.seconds:6.0f} s wall {a.cpu_seconds:6.0f} s CPU",
            highlight=False,
        )
    print_tables(ev, console)
    seeds = len(args.seeds.split(","))
    arm_cpu = sum(a.cpu_seconds for a in ev.arms)
    console.print(
        f"wall {wall:.0f} s for {seeds} seed(s) with {args.jobs} worker(s) "
        f"({wall / 60 / seeds:.1f} min per seed; target < 15 min per seed); CPU {arm_cpu:.0f} s in the arms, "
        f"{time.process_time() - cpu:.0f} s in this process; load average at the end "
        f"{os.getloadavg()[0]:.1f} (other jobs share the cores)"
    )


if __name__ == "__main__":
    main()
