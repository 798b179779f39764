"""Surveillance bias on counties the training never saw: each label scheme (training.bias) is trained on one
simulated county and judged on the true outcomes of counties built with other seeds.

For each training seed and scheme the real training run (`train_and_evaluate`, label scheme set in its
config) fits the model; its booster then ranks each held-out county's last `--eval-dates` monthly lists as
shipped (k visits per township). Per (scheme, held-out seed) it prints the oracle ratio against true outcomes
(at k and at the top 10 %), precision@k against true and detected outcomes, the share of true outcomes
detected on / off the list, and each scheme's difference from `detected` with a t interval over the pairs.
A `ceiling` row (the same features trained on the true outcome) shows what no label scheme can beat.

Disability: the same lists' recall of true outcomes for children with a disability over others', for the
model, the ceiling and the hidden-risk oracle, and how often their true outcomes are detected — whether
their under-recall comes from the label (ceiling fixes it), the features (ceiling does not, oracle does) or
their risk (oracle does not either).

    .venv/bin/python benchmarks/bench_bias.py [--children 5000] [--train-seeds 21 22] \\
        [--eval-seeds 23 24 25 26] [--work DIR]

Counties are cached under --work (bench_train.county_matrix).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def _sibling(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def county(args: argparse.Namespace, seed: int) -> pd.DataFrame:
    matrix = _sibling("bench_train").county_matrix(args.children, args.years, seed, args.work)
    truth = args.work / f"county_{args.children}_{args.years}y_seed{seed}" / "sim" / "truth"
    return _sibling("bench_evaluation").refresh_truth(matrix, truth, 90)


def evaluation_rows(matrix: pd.DataFrame, dates: int) -> pd.DataFrame:
    """The last `dates` as-of dates whose label window is fully recorded, with truth."""
    from training.pipeline import observable

    rows = observable(matrix)
    rows = rows[rows["true_label"].notna() & rows["true_risk"].notna()]
    keep = np.sort(rows["as_of"].unique())[-dates:]
    return rows[rows["as_of"].isin(keep)].reset_index(drop=True)


def recall(frame: pd.DataFrame, selected: np.ndarray, group: np.ndarray) -> float:
    truth = frame["true_label"].to_numpy() == 1
    n = (truth & group).sum()
    return float((truth & group & selected).sum() / n) if n else float("nan")


def judged(frame: pd.DataFrame, score: np.ndarray, k: int) -> dict[str, float]:
    from training import metrics

    at_k = metrics.top_k_mask(frame, score, k)
    top10 = metrics.top_pct_mask(frame, score, 0.10, scope="township")
    ratios = metrics.oracle_ratios(frame, score, k)
    found = metrics.evaluate(frame, score, None, k)
    shares = metrics.detection_shares(frame, at_k)
    disabled = frame["has_disability"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    truth = frame["true_label"].to_numpy() == 1
    counts = {
        f"n_{who}_{what}": int((truth & part & sel).sum())
        for who, part in (("disab", disabled), ("others", ~disabled))
        for what, sel in (("true", np.ones(len(frame), dtype=bool)), ("at10", top10), ("atk", at_k))
    }
    return counts | {
        "oracle_true@k": ratios["oracle_ratio"],
        "oracle_true@10%": ratios["oracle_ratio_at_10pct"],
        "oracle_det@k": ratios["oracle_ratio_detected"],
        "true_p@k": found["true_precision_at_k"],
        "det_p@k": found["precision_at_k"],
        "det_share_in": shares["detected_share_in_top_k"],
        "det_share_out": shares["detected_share_outside_top_k"],
        "disab_recall_ratio@10%": recall(frame, top10, disabled) / recall(frame, top10, ~disabled),
        "disab_recall_ratio@k": recall(frame, at_k, disabled) / recall(frame, at_k, ~disabled),
    }


def disability_profile(frame: pd.DataFrame) -> dict[str, float]:
    """How the label sees children with a disability: detection of their true outcomes, and rates."""
    disabled = frame["has_disability"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    truth = frame["true_label"].to_numpy() == 1
    found = frame["label"].to_numpy() == 1
    out = {}
    for name, part in (("disab", disabled), ("others", ~disabled)):
        out[f"{name}_rows"] = int(part.sum())
        out[f"{name}_true_rate"] = float(truth[part].mean())
        out[f"{name}_det_rate"] = float(found[part].mean())
        out[f"{name}_detected_share"] = float((found & truth)[part].sum() / max(truth[part].sum(), 1))
        out[f"{name}_mean_true_risk"] = float(frame.loc[part, "true_risk"].mean())
    return out


def _rounded(values: pd.Series) -> list[float]:
    return np.round(values.to_numpy(dtype="float64"), 2).tolist()


def measured_detection(frame: pd.DataFrame) -> pd.Series:
    """What the exposure weights estimate, from the truth: detected over true outcome rate per stratum,
    relative to the unvisited."""
    from training.bias import exposure_stratum

    frame = frame[frame["true_label"].notna()]
    stratum = exposure_stratum(frame)
    share = pd.Series(
        {s: frame["label"][stratum == s].mean() / frame["true_label"][stratum == s].mean() for s in range(4)}
    )
    return share / share[0]


def outcome_mix(matrix: pd.DataFrame, truth_dir: Path) -> pd.DataFrame:
    """The county's true outcomes (label types) by disability and type: how many, and the share detected."""
    from data_contracts.pseudonym import child_key
    from features.labels import TRIVIAL
    from shouhu.settings import get_settings

    secret = get_settings().pseudonym_secret.get_secret_value()
    out = pd.read_parquet(truth_dir / "outcomes.parquet")
    out = out[~((out["outcome_type"] == TRIVIAL[0]) & (out["severity"].fillna("") == TRIVIAL[1]))]
    out = out.assign(
        child_key=out["child_id"].map({c: child_key(str(c), secret) for c in out["child_id"].unique()})
    )
    disabled = matrix.groupby("child_key")["has_disability"].max().astype(bool).rename("disability")
    out = out.merge(disabled, left_on="child_key", right_index=True)
    return out.groupby(["disability", "outcome_type"])["detected"].agg(["size", "sum"])


def interval(diffs: np.ndarray) -> str:
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) < 2:
        return "n/a"
    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs))
    return f"{diffs.mean():+.3f} [{diffs.mean() - half:+.3f}, {diffs.mean() + half:+.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", type=int, default=5_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[21, 22])
    parser.add_argument("--eval-seeds", type=int, nargs="+", default=[23, 24, 25, 26])
    parser.add_argument("--k", type=int, default=40, help="visits per township per cycle")
    parser.add_argument("--eval-dates", type=int, default=12, help="monthly lists judged per held-out county")
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    parser.add_argument("--schemes", nargs="+", default=None, help="default: all of training.bias.SCHEMES")
    args = parser.parse_args()

    from features.spec import load_spec
    from training.bias import SCHEMES, detection_exposure
    from training.model import as_matrix, fit_risk_model
    from training.pipeline import TrainConfig, observable, train_and_evaluate

    spec = load_spec()
    schemes = args.schemes or list(SCHEMES)
    held_out, mixes = {}, []
    for seed in args.eval_seeds:
        print(f"held-out county seed {seed}", flush=True)
        whole = county(args, seed)
        held_out[seed] = evaluation_rows(whole, args.eval_dates)
        truth = args.work / f"county_{args.children}_{args.years}y_seed{seed}" / "sim" / "truth"
        mixes.append(outcome_mix(whole, truth))
        print(
            f"  {len(held_out[seed]):,} rows, {held_out[seed]['as_of'].nunique()} lists, "
            f"{int(held_out[seed]['true_label'].sum()):,} true / {int(held_out[seed]['label'].sum()):,} "
            "detected outcomes",
            flush=True,
        )
    rows, profiles = [], []
    for train_seed in args.train_seeds:
        if train_seed in held_out:
            raise SystemExit(f"seed {train_seed} is both a training and a held-out county")
        print(f"training county seed {train_seed}", flush=True)
        matrix = county(args, train_seed)
        seen = observable(matrix)
        print(
            "  detection by recorded visits in the last 90 days (0, 1, 2, 3+), relative to none:\n"
            f"    estimated within tiers (the scheme's weights): {_rounded(detection_exposure(seen))}\n"
            f"    estimated over all tiers: {_rounded(detection_exposure(seen, adjust_for_tier=False))}\n"
            f"    measured (detected / true outcome rate, truth): {_rounded(measured_detection(seen))}",
            flush=True,
        )
        boosters = {}
        for scheme in schemes:
            t = time.perf_counter()
            config = TrainConfig(
                k=args.k, n_folds=1, with_logreg=False, with_ceiling=False, label_scheme=scheme
            )
            result = train_and_evaluate(matrix, spec, config)
            boosters[scheme] = result.parts
            print(f"  trained {scheme} in {time.perf_counter() - t:.0f} s", flush=True)
        fit = observable(matrix)
        fit = fit[result.split.rows(fit["as_of"], "fit") & fit["true_label"].notna()]
        cal = observable(matrix)
        cal = cal[result.split.rows(cal["as_of"], "calibration") & cal["true_label"].notna()]
        boosters["ceiling"] = fit_risk_model(fit, cal, fit, spec, config.params, label="true_label")
        for seed, frame in held_out.items():
            for name, parts in [*boosters.items(), ("oracle", None)]:
                if parts is None:
                    score = frame["true_risk"].to_numpy(dtype="float64")
                else:
                    score = parts.booster.predict(as_matrix(frame, parts.inputs), raw_score=True)
                rows.append(
                    {"train": train_seed, "seed": seed, "scheme": name, **judged(frame, score, args.k)}
                )
            profiles.append({"seed": seed, **disability_profile(frame)})
            print(f"  judged on seed {seed}", flush=True)

    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("\nper held-out county")
    print(table.round(3).to_string(index=False))
    print("\nmean over held-out counties [min, max]")
    figures = [c for c in table.columns if c not in ("train", "seed", "scheme") and not c.startswith("n_")]
    summary = table.groupby("scheme", sort=False)[figures].agg(
        lambda v: f"{v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]"
    )
    print(summary.T.to_string())
    print("\ndifference from `detected`, paired by county (mean [95 % t interval])")
    base = table[table["scheme"] == "detected"].set_index(["train", "seed"])
    for scheme in [s for s in schemes if s != "detected"] + ["ceiling"]:
        mine = table[table["scheme"] == scheme].set_index(["train", "seed"])
        for figure in ("oracle_true@k", "oracle_true@10%", "true_p@k", "det_p@k", "disab_recall_ratio@10%"):
            diffs = (mine[figure] - base[figure]).to_numpy(dtype="float64")
            print(f"  {scheme:18s} {figure:24s} {interval(diffs)}")
    print("\nrecall of true outcomes, children with a disability over others, pooled over held-out counties")
    pooled = table.groupby("scheme", sort=False)[[c for c in table.columns if c.startswith("n_")]].sum()
    for at in ("at10", "atk"):
        ratio = (pooled[f"n_disab_{at}"] / pooled["n_disab_true"]) / (
            pooled[f"n_others_{at}"] / pooled["n_others_true"]
        )
        pooled[f"recall_ratio_{at}"] = ratio.round(3)
    print(pooled.to_string())
    mix = pd.concat(mixes).groupby(level=[0, 1]).sum()
    mix["detected_share"] = (mix["sum"] / mix["size"]).round(3)
    print(
        "\ntrue outcomes of the held-out counties (all dates) by disability and type, and the share detected"
    )
    print(mix.unstack(0).to_string())
    print("\nchildren with a disability vs others (held-out lists)")
    print(pd.DataFrame(profiles).round(4).T.to_string(header=False))


if __name__ == "__main__":
    main()
