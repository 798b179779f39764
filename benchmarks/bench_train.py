"""Training benchmark: a simulated county (default 20,000 children, 3 years, 3 seeds) through the real
pipeline (simulate → ingest → features over monthly as-of dates → train and evaluate), printing per seed:

- precision@10 % of the model and of the official checklist, and their ratio (target ≥ 1.5×);
- precision@k at capacity, PR-AUC, and the oracle ratio against the hidden true risk (aim ≥ 0.8);
- seconds to train and evaluate on the whole matrix (target < 180 s for 20,000 children × 36 as-of dates).

    .venv/bin/python benchmarks/bench_train.py [--children 20000] [--years 3] [--seeds 1 2 3] [--work DIR]

Simulated counties and their matrices are cached under --work, so a second run only re-trains.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import pandas as pd


def county_matrix(children: int, years: int, seed: int, work: Path, horizon_days: int = 90) -> pd.DataFrame:
    """The §3 matrix of a simulated county, built once and cached as parquet."""
    folder = work / f"county_{children}_{years}y_seed{seed}"
    cached = folder / "matrix.parquet"
    if cached.exists():
        return pd.read_parquet(cached)
    from data_contracts.ingest import ingest_folder
    from features.pipeline import build_matrix
    from simulation.config import SimulationConfig
    from simulation.county import simulate
    from training.splits import monthly_as_of_dates

    start = date(2021, 1, 1)
    end = date(2021 + years, 1, 1)
    config = SimulationConfig(
        townships=max(2, children // 2000), villages=8, children=children, start=start, end=end, seed=seed
    )
    t = time.perf_counter()
    simulate(config, folder / "sim", progress=False)
    print(f"  simulated {children:,} children × {years} years in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    warehouse = folder / "warehouse.duckdb"
    from shouhu.settings import get_settings

    # build_matrix maps the truth's ids with the secret the warehouse was ingested with
    secret = get_settings().pseudonym_secret.get_secret_value()
    ingest_folder(folder / "sim" / "feeds", warehouse, secret, progress=False)
    print(f"  ingested in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    dates = monthly_as_of_dates(pd.Timestamp(start), pd.Timestamp(end))
    truth = folder / "sim" / "truth"
    matrix = build_matrix(
        warehouse, dates, horizon_days=horizon_days, truth_dir=truth, pseudonym_secret=secret
    )
    print(
        f"  features: {len(matrix):,} rows × {len(dates)} as-of dates in {time.perf_counter() - t:.0f} s",
        flush=True,
    )
    # the tier-rule baseline from the warehouse's records, as a training run on the warehouse has it
    from features.tier_rule import tier_table
    from training.baselines import with_warehouse_tiers

    matrix = with_warehouse_tiers(matrix, tier_table(warehouse, dates))
    matrix.to_parquet(cached, index=False)
    return matrix


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--k", type=int, default=40, help="visits per township per cycle")
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    args = parser.parse_args()

    from features.spec import load_spec
    from training.pipeline import TrainConfig, train_and_evaluate

    spec = load_spec()
    rows = []
    for seed in args.seeds:
        print(f"seed {seed}", flush=True)
        matrix = county_matrix(args.children, args.years, seed, args.work)
        t = time.perf_counter()
        result = train_and_evaluate(matrix, spec, TrainConfig(k=args.k))
        seconds = time.perf_counter() - t
        m, c = result.metrics["model"], result.metrics["checklist"]
        rows.append(
            {
                "seed": seed,
                "rows": len(matrix),
                "as_of_dates": matrix["as_of"].nunique(),
                "train_s": round(seconds, 1),
                "model_p@10%": m["precision_at_10pct"],
                "checklist_p@10%": c["precision_at_10pct"],
                "lift_vs_checklist": m["precision_at_10pct"] / c["precision_at_10pct"],
                "logreg_p@10%": result.metrics["logreg"]["precision_at_10pct"],
                "model_p@k": m["precision_at_k"],
                "checklist_p@k": c["precision_at_k"],
                "model_pr_auc": m["pr_auc"],
                "oracle_ratio": m.get("oracle_ratio", float("nan")),
                "oracle_ratio@10%": m.get("oracle_ratio_at_10pct", float("nan")),
                "ece": m["ece"],
            }
        )
        print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print("\nall seeds")
    print(table.round(3).to_string(index=False))
    print(f"\nmean lift vs checklist at 10 %: {table['lift_vs_checklist'].mean():.2f}× (target ≥ 1.5×)")
    print(f"mean oracle ratio (precision@k): {table['oracle_ratio'].mean():.2f} (aim ≥ 0.8)")
    print(f"max train+evaluate time: {table['train_s'].max():.0f} s (target < 180 s for 20,000 × 36)")


if __name__ == "__main__":
    main()
