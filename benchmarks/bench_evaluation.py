"""Evaluation benchmark: how good the list is against *true* need, against what a county does today, and how
well the fairness gate decides. Simulated 20,000-child counties (default seeds 11 12 13, never used in
training the project's defaults), each through the real pipeline; per seed it prints:

- precision@k, recall@k and the oracle ratio against true outcomes, with the detected-outcome figures beside;
- the lift over each baseline (tier rule, official checklist, three-term heuristic, logistic regression);
- the ceiling: the same features trained on the true outcome, and the detection share on / off the list;
- the fairness gate on the project's own model (a FAIL there is a false alarm unless the disparity is real)
  and on planted disparities: the same model with one group's scores pushed down until its detected recall
  ratio is about 0.7 (a FAIL there is the gate's power).

    .venv/bin/python benchmarks/bench_evaluation.py [--children 20000] [--seeds 11 12 13] [--work DIR]

Counties and matrices are cached under --work (built by bench_train.county_matrix). The true label is
recomputed from each county's truth folder, so a matrix cached before the truth counted the same outcome
types as the label is still judged on the same outcomes.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd

PLANTED = 0.7
ATTRIBUTES = ("sex", "minority", "has_disability", "township_code")


def _bench_train():
    spec = importlib.util.spec_from_file_location("bench_train", Path(__file__).with_name("bench_train.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refresh_truth(matrix: pd.DataFrame, truth_dir: Path, horizon_days: int) -> pd.DataFrame:
    """true_label again from the truth folder, with the label's outcome types (features.labels)."""
    from features.labels import truth_frames
    from shouhu.settings import get_settings

    outcomes, _ = truth_frames(truth_dir, get_settings().pseudonym_secret.get_secret_value())
    matrix = matrix.reset_index(drop=True)
    j = matrix[["child_key", "as_of"]].reset_index().merge(outcomes, on="child_key")
    end = j["as_of"] + pd.Timedelta(days=horizon_days)
    inside = (j["event_time"] > j["as_of"]) & (j["event_time"] <= end)
    hit = np.zeros(len(matrix), dtype=bool)
    hit[j.loc[inside, "index"].to_numpy()] = True
    known = matrix["true_label"].notna().to_numpy()
    return matrix.assign(true_label=np.where(known, hit.astype("float64"), np.nan))


def planted_verdict(result, attribute: str, k: int, seed: int) -> dict[str, object]:
    """Push the first non-reference group of `attribute` down until its detected recall ratio ≈ PLANTED."""
    from training.fairness_gate import judge
    from training.pipeline import fairness_selections

    judged = next((j for j in result.judgement if j.attribute == attribute), None)
    if judged is None or not judged.checks:
        return {}
    group = judged.checks[0].group
    test, margin = result.test, result.test_scores["model"]
    is_group = (test[attribute].astype("string") == group).to_numpy()

    def judged(shift: float):
        shifted = margin - shift * is_group
        (j,) = judge(test, fairness_selections(test, shifted, k), [attribute], seed=seed)
        check = next(c for c in j.checks if c.against == "detected" and c.group == group)
        return j, check

    lo, hi = 0.0, 4.0
    for _ in range(8):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if judged(mid)[1].ratio > PLANTED else (lo, mid)
    j, check = judged(hi)
    return {
        "attribute": attribute,
        "group": group,
        "ratio": round(check.ratio, 3),
        "interval": f"[{check.low:.2f}, {check.high:.2f}]",
        "group_verdict": check.verdict,
        "verdict": j.verdict,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--k", type=int, default=40, help="visits per township per cycle")
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    args = parser.parse_args()

    from features.spec import load_spec
    from training.fairness_gate import FAIL, OUTSIDE, checks_table
    from training.pipeline import TrainConfig, train_and_evaluate

    spec = load_spec()
    bench_train = _bench_train()
    rows, fair_rows, planted_rows = [], [], []
    for seed in args.seeds:
        print(f"seed {seed}: county", flush=True)
        matrix = bench_train.county_matrix(args.children, args.years, seed, args.work)
        truth = args.work / f"county_{args.children}_{args.years}y_seed{seed}" / "sim" / "truth"
        matrix = refresh_truth(matrix, truth, 90)
        t = time.perf_counter()
        print(f"seed {seed}: training and evaluating {len(matrix):,} rows", flush=True)
        result = train_and_evaluate(
            matrix, spec, TrainConfig(k=args.k, n_folds=1), progress=lambda m: print(f"  · {m}", flush=True)
        )
        m = result.metrics["model"]
        row = {
            "seed": seed,
            "train_s": round(time.perf_counter() - t),
            "true_p@k": m["true_precision_at_k"],
            "det_p@k": m["precision_at_k"],
            "true_r@k": m["true_recall_at_k"],
            "det_r@k": m["recall_at_k"],
            "oracle_true": m.get("oracle_ratio"),
            "oracle_det": m.get("oracle_ratio_detected"),
            "ceiling_oracle_true": result.metrics.get("ceiling", {}).get("oracle_ratio"),
            "det_share_in": m.get("detected_share_in_top_k"),
            "det_share_out": m.get("detected_share_outside_top_k"),
        }
        for name in ("tier_rule", "checklist", "three_term", "logreg"):
            row[f"lift_{name}_true@k"] = m.get(f"true_lift_vs_{name}_at_k")
            row[f"lift_{name}_det@k"] = m.get(f"lift_vs_{name}_at_k")
            row[f"lift_{name}_true@10%"] = m.get(f"true_lift_vs_{name}_at_10pct")
        rows.append(row)
        print(pd.DataFrame([row]).round(3).T.to_string(header=False), flush=True)

        gate = checks_table(result.judgement).assign(seed=seed)
        fair_rows.append(gate)
        print("  fairness gate on the project's own model:", flush=True)
        for j in result.judgement:
            print(f"    {j.describe()}", flush=True)
        for attribute in ATTRIBUTES:
            out = planted_verdict(result, attribute, args.k, seed)
            if out:
                planted_rows.append({"seed": seed, **out})
                print(f"  planted {PLANTED} on {attribute}: {out}", flush=True)

    table = pd.DataFrame(rows)
    print("\nall seeds (mean [min, max])")
    for col in table.columns.drop(["seed"]):
        values = table[col].astype("float64")
        print(f"  {col:28s} {values.mean():.3f} [{values.min():.3f}, {values.max():.3f}]")
    fair = pd.concat(fair_rows, ignore_index=True)
    by_attr = fair.groupby(["seed", "attribute"])["verdict"].apply(lambda v: (v == "outside").any())
    print(
        f"\nfairness gate, project's own model: {int(by_attr.sum())} of {len(by_attr)} (seed, attribute) "
        f"judgements FAIL ({by_attr.mean():.0%}; target ≤ 10 % false alarms unless a disparity is real)"
    )
    print(fair.round(3).to_string(index=False))
    planted = pd.DataFrame(planted_rows)
    if not planted.empty:
        power = (planted["group_verdict"] == OUTSIDE).mean()
        refused = (planted["verdict"] == FAIL).mean()
        print(
            f"\nplanted disparity (recall ratio ≈ {PLANTED}), {len(planted)} cases: refused by the gate "
            f"{refused:.0%} (any check, true outcomes included); from detected outcomes alone {power:.0%} "
            "(target ≥ 80 %)"
        )
        print(planted.to_string(index=False))


if __name__ == "__main__":
    main()
