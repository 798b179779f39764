"""Reporting a closed-loop evaluation: a table per effect preset (mean and 95% interval across seeds), the
headline ratio, and an MLflow run with the figures, the per-arm table and plots."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.policy_eval import Evaluation, headline, interval

if TYPE_CHECKING:
    from rich.console import Console

EXPERIMENT = "policy-evaluation"
MEASURES = {
    "serious_per_1000": "true serious / 1,000 child-yr",
    "undetected_per_1000": "undetected serious / 1,000 child-yr",
    "share_detected": "share detected",
    "median_days_to_detection": "median days to detection",
    "cases_opened": "cases opened",
    "never_visited_share": "never visited in a year",
    "visits_per_child_year": "visits / child-yr",
}


def arms_frame(ev: Evaluation) -> pd.DataFrame:
    rows = []
    for a in ev.arms:
        row = {"policy": a.policy, "effects": a.effects, "seed": a.seed, **a.measures, "seconds": a.seconds}
        for group, values in a.visits_per_child_year.items():
            row |= {f"visits_{group}_{v}": x for v, x in values.items()}
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(m: float, lo: float, hi: float, digits: int) -> str:
    if math.isinf(m):
        return "never (>half, ≥1 seed)"
    if math.isnan(m):
        return "–"
    text = f"{m:.{digits}f}"
    return text if math.isnan(lo) else f"{text} ±{(hi - lo) / 2:.{digits}f}"


def summary(ev: Evaluation) -> dict[str, dict[str, dict[str, tuple[float, float, float]]]]:
    """effects → policy → measure → (mean, low, high) across seeds."""
    out: dict[str, dict[str, dict[str, tuple[float, float, float]]]] = {}
    for fx in dict.fromkeys(a.effects for a in ev.arms):
        out[fx] = {}
        for pol in dict.fromkeys(a.policy for a in ev.arms):
            arms = [a for a in ev.arms if a.effects == fx and a.policy == pol]
            out[fx][pol] = {k: interval([a.measures[k] for a in arms]) for k in arms[0].measures}
    return out


def paired_difference(ev: Evaluation, effects: str, policy: str, measure: str) -> list[float]:
    """Per seed, the policy's value minus the tier rule's: the paired design's comparison."""
    out = []
    for a in ev.arms:
        if a.effects == effects and a.policy == policy:
            tier = [t for t in ev.arms if (t.effects, t.seed, t.policy) == (effects, a.seed, "tier")]
            if tier:
                out.append(a.measures[measure] - tier[0].measures[measure])
    return out


def print_tables(ev: Evaluation, console: Console) -> None:
    from rich.table import Table

    seeds = sorted({a.seed for a in ev.arms})
    for fx, by_policy in summary(ev).items():
        table = Table(title=f"visit effects: {fx} — mean ± half the 95% interval across {len(seeds)} seeds")
        table.add_column("policy")
        for label in MEASURES.values():
            table.add_column(label, justify="right")
        table.add_column("Δ undetected vs tier (paired)", justify="right")
        for pol, m in by_policy.items():
            digits = {"share_detected": 2, "never_visited_share": 2, "visits_per_child_year": 2}
            diff = paired_difference(ev, fx, pol, "undetected_per_1000")
            table.add_row(pol, *(_fmt(*m[k], digits.get(k, 1)) for k in MEASURES), _fmt(*interval(diff), 1))
        console.print(table)
        policies = set(by_policy)
        for candidate in ("model", "model-retrained", "checklist", "random"):
            if {"tier", "oracle", candidate} <= policies:
                ratios = headline(ev, fx, candidate)
                console.print(
                    f"  (tier − {candidate}) ÷ (tier − oracle), undetected serious harm: "
                    + _fmt(*interval(ratios), 2)
                )
    for label, cpu in (("wall time", False), ("CPU time", True)):
        spent = {k.removesuffix(" CPU"): v for k, v in ev.timings.items() if k.endswith(" CPU") == cpu}
        worst = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]))
        console.print(f"{label}: {worst}")


def plots(ev: Evaluation, folder: Path) -> list[Path]:
    """Outcomes over time per policy and the distribution of days to detection (PNG, one per preset)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plots are optional; the figures are logged either way
        return []
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fx in dict.fromkeys(a.effects for a in ev.arms):
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        for pol in dict.fromkeys(a.policy for a in ev.arms):
            arms = [a for a in ev.arms if a.effects == fx and a.policy == pol]
            n = min(len(a.monthly_serious) for a in arms)
            series = np.mean([np.cumsum(a.monthly_serious[:n]) for a in arms], axis=0)
            left.plot(np.arange(1, n + 1), series, label=pol)
            days = np.concatenate([np.asarray(a.detection_days) for a in arms])
            found = np.sort(days[np.isfinite(days)])
            if len(days):
                right.step(found, np.arange(1, len(found) + 1) / len(days), where="post", label=pol)
        left.set(
            title=f"true serious outcomes, cumulative (effects: {fx})",
            xlabel="months after burn-in",
            ylabel="n",
        )
        right.set(
            title="mandatory-report situations found", xlabel="days since it arose", ylabel="share found"
        )
        right.set_xlim(0, 365)
        left.legend()
        right.legend()
        fig.tight_layout()
        path = folder / f"policy_evaluation_{fx}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def log_mlflow(
    ev: Evaluation, tracking_uri: str, artifact_root: Path, params: dict[str, object], folder: Path
) -> str:
    """One MLflow run (experiment `policy-evaluation`): figures as metrics, the arm table, plots."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        location = (Path(artifact_root) / EXPERIMENT).resolve().as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    mlflow.set_experiment(EXPERIMENT)
    folder.mkdir(parents=True, exist_ok=True)
    with mlflow.start_run(run_name="evaluate-policy") as run:
        mlflow.log_params({k: str(v) for k, v in params.items()})
        for fx, by_policy in summary(ev).items():
            for pol, m in by_policy.items():
                for k, (mean, _lo, _hi) in m.items():
                    if np.isfinite(mean):
                        mlflow.log_metric(f"{fx}.{pol}.{k}", mean)
            for candidate in ("model", "model-retrained", "checklist", "random"):
                mean = interval(headline(ev, fx, candidate))[0]
                if np.isfinite(mean):
                    mlflow.log_metric(f"{fx}.gain_ratio.{candidate}", mean)
        table = folder / "arms.csv"
        arms_frame(ev).to_csv(table, index=False)
        mlflow.log_artifact(str(table))
        (folder / "timings.json").write_text(json.dumps(ev.timings, indent=1), encoding="utf-8")
        mlflow.log_artifact(str(folder / "timings.json"))
        for path in plots(ev, folder):
            mlflow.log_artifact(str(path), artifact_path="plots")
        return run.info.run_id
