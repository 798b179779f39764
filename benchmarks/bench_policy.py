"""Benchmark the closed-loop policy evaluation: 5,000 children, 1 year of burn-in + 2 years compared, five
policies (tier, checklist, random, oracle, model), 3 seeds, one visit-effect preset. Target: under 15 minutes
per seed set on a 2-core machine.

Run: `.venv/bin/python benchmarks/bench_policy.py [--children 5000] [--seeds 1,2,3] [--effects modest]
[--policies tier,checklist,random,oracle,model] [--work /tmp/shouhu-bench-policy]`
Prints each arm as it finishes (figures and seconds), then the comparison table and where the time went."""

from __future__ import annotations

import argparse
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
        end=date(2025, 12, 31),
    )
    console = Console(width=160)
    began = time.perf_counter()

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
    )
    wall = time.perf_counter() - began
    for a in ev.arms:
        m = a.measures
        console.print(
            f"{a.policy:9} seed {a.seed} {a.effects:7} serious/1000 {m['serious_per_1000']:6.1f} "
            f"undetected/1000 {m['undetected_per_1000']:6.1f} detected {m['share_detected']:.2f} "
            f"{a.seconds:6.0f} s",
            highlight=False,
        )
    print_tables(ev, console)
    seeds = len(args.seeds.split(","))
    console.print(f"wall {wall:.0f} s for {seeds} seeds ({wall / 60:.1f} min per seed set; target < 15 min)")


if __name__ == "__main__":
    main()
