"""What a run shows people: the calibration and PR plots, a SHAP beeswarm, and the model card (Markdown).

Plots use indicator names (ASCII) on the axes: the Chinese labels need CJK fonts that a server may lack.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shouhu_core.model_contract import CONTRACT_VERSION, SPEC, probability_meaning
from training.fairness import BAND, REPORTED_ONLY, to_markdown
from training.fairness_gate import MAX_WIDTH, checks_table
from training.pipeline import TrainResult

MODEL_LABELS = {
    "model": "Shouhu (LightGBM)",
    "tier_rule": "tier rule (today's practice)",
    "checklist": "official checklist",
    "three_term": "three-term heuristic",
    "logreg": "logistic regression",
    "ceiling": "ceiling: same features, true label",
    "oracle": "oracle: hidden true risk",
}
CARD_METRICS = (
    ("precision_at_k", "precision@k (per township per cycle)"),
    ("recall_at_k", "recall@k"),
    ("precision_at_10pct", "precision@top 10%"),
    ("recall_at_10pct", "recall@top 10%"),
    ("pr_auc", "PR-AUC"),
    ("roc_auc", "ROC-AUC"),
    ("brier", "Brier score"),
    ("ece", "calibration error (ECE)"),
    ("true_precision_at_k", "precision@k vs true outcomes (simulated)"),
    ("true_recall_at_k", "recall@k vs true outcomes (simulated)"),
    ("true_pr_auc", "PR-AUC vs true outcomes (simulated)"),
    ("true_roc_auc", "ROC-AUC vs true outcomes (simulated)"),
    ("true_brier", "Brier score vs true outcomes (simulated)"),
    ("true_ece", "calibration error vs true outcomes (simulated)"),
    ("oracle_ratio", "oracle ratio vs true outcomes (precision@k / true-risk ranking)"),
    ("oracle_ratio_at_10pct", "oracle ratio vs true outcomes, top 10%"),
    ("oracle_ratio_detected", "oracle ratio vs detected outcomes"),
    ("detected_share_in_top_k", "share of true outcomes detected, on the list (simulated)"),
    ("detected_share_outside_top_k", "share of true outcomes detected, off the list (simulated)"),
)
HEADLINE = (
    ("precision_at_k", "precision@k"),
    ("recall_at_k", "recall@k"),
    ("precision_at_10pct", "precision@top 10%"),
    ("recall_at_10pct", "recall@top 10%"),
)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_plot(
    result: TrainResult,
    path: Path,
    curves: dict[str, pd.DataFrame] | None = None,
    against: str = "detected outcomes",
) -> Path:
    plt = _pyplot()
    curves = result.calibration if curves is None else curves
    fig, ax = plt.subplots(figsize=(5, 5))
    top = max(max(float(c["predicted"].max()), float(c["observed"].max())) for c in curves.values()) * 1.1
    ax.plot([0, top], [0, top], ls="--", c="grey", lw=1, label="perfect")
    for name, curve in curves.items():
        ax.plot(curve["predicted"], curve["observed"], marker="o", label=MODEL_LABELS.get(name, name))
    ax.set(
        xlabel="predicted probability",
        ylabel=f"observed rate ({against})",
        title=f"Calibration, test {result.split.window('test')}",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pr_plot(result: TrainResult, path: Path) -> Path:
    from sklearn.metrics import precision_recall_curve

    plt = _pyplot()
    y = result.test["label"].to_numpy()
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, score in result.test_scores.items():
        precision, recall, _ = precision_recall_curve(y, score)
        ap = result.metrics[name]["pr_auc"]
        ax.plot(recall, precision, label=f"{MODEL_LABELS.get(name, name)} (AP {ap:.3f})")
    ax.axhline(y.mean(), ls="--", c="grey", lw=1, label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall, test {result.split.window('test')}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def shap_beeswarm(result: TrainResult, path: Path, max_display: int = 15) -> Path:
    import shap

    plt = _pyplot()
    inputs = result.parts.inputs
    explanation = shap.Explanation(
        values=result.test_contrib[:, :-1],
        base_values=result.test_contrib[:, -1],
        data=result.test_sample[inputs].to_numpy(dtype="float64", na_value=np.nan),
        feature_names=inputs,
    )
    shap.plots.beeswarm(explanation, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.set_size_inches(8, 6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def metrics_table(result: TrainResult) -> pd.DataFrame:
    rows = []
    for key, label in CARD_METRICS:
        if key not in result.metrics["model"]:
            continue
        rows.append(
            {
                "metric": label,
                **{MODEL_LABELS.get(m, m): result.metrics[m].get(key, np.nan) for m in result.metrics},
            }
        )
    return pd.DataFrame(rows)


def headline_table(result: TrainResult) -> pd.DataFrame:
    """The model's headline figures against true outcomes (simulated data) beside detected ones."""
    m = result.metrics["model"]
    rows = [
        {"metric": label, "true outcomes": m.get(f"true_{key}", np.nan), "detected outcomes": m.get(key)}
        for key, label in HEADLINE
    ]
    rows.append(
        {
            "metric": "oracle ratio",
            "true outcomes": m.get("oracle_ratio", np.nan),
            "detected outcomes": m.get("oracle_ratio_detected", np.nan),
        }
    )
    for name in ("tier_rule", "checklist", "three_term", "logreg"):
        if f"lift_vs_{name}_at_k" in m:
            rows.append(
                {
                    "metric": f"lift@k over the {MODEL_LABELS[name]}",
                    "true outcomes": m.get(f"true_lift_vs_{name}_at_k", np.nan),
                    "detected outcomes": m[f"lift_vs_{name}_at_k"],
                }
            )
    return pd.DataFrame(rows)


def _ceiling_line(result: TrainResult) -> str:
    ceiling = result.metrics.get("ceiling", {}).get("oracle_ratio")
    if ceiling is None:
        return "(No truth for this window: the figures are against detected outcomes only.)"
    model = result.metrics["model"].get("oracle_ratio", float("nan"))
    return (
        f"Ceiling: the same features trained on the true outcome reach an oracle ratio of {ceiling:.2f} "
        f"(this model {model:.2f}); the gap between them is what learning from *detected* outcomes costs, "
        "the rest (up to 1.00, the hidden risk itself) is what the records cannot show."
    )


def _judgement_lines(result: TrainResult) -> list[str]:
    lines = []
    for j in result.judgement:
        lines.append(f"- {j.describe()}")
        if j.unjudged:
            lines.append(f"  - too few to judge (不足以判断): {'; '.join(j.unjudged)}")
    return lines or ["- (no audit attributes in the test window)"]


def model_card(
    result: TrainResult,
    *,
    spec_version: str,
    spec_hash: str,
    git_sha: str,
    k: int,
    horizon_days: int,
    model_name: str,
    created: dt.datetime | None = None,
) -> str:
    created = created or dt.datetime.now(dt.UTC)
    bands = result.parts.bands
    band_rows = []
    upper = 100.0
    for name, cut in bands:
        band_rows.append(
            f"| {name} | {dict(red='红', orange='橙', yellow='黄', green='绿').get(name, name)} "
            f"| {cut:g} ≤ percentile{' ≤ 100' if upper == 100 else f' < {upper:g}'} "
            f"| {upper - cut:g}% |"
        )
        upper = cut
    fairness = result.fairness
    flagged = fairness[fairness["flagged"] != ""] if not fairness.empty else fairness
    fairness_cols = [
        "attribute",
        "group",
        "n",
        "positives",
        "selection_rate",
        "tpr",
        "fpr",
        "precision",
        "calibration",
        "tpr_ratio",
        "fpr_ratio",
        "selection_rate_ratio",
        "precision_ratio",
        "flagged",
    ]
    lines = [
        f"# Model card — {model_name}",
        "",
        "**评分仅供参考，由工作人员决定。** The score is for reference only; the caseworker decides.",
        "",
        "## Intended use",
        "Ranks the children of a county's 农村留守儿童 registry by the estimated chance of a",
        f"*detected* adverse outcome (incident, injury, dropout, …) within the next {horizon_days} days, so",
        "that 儿童主任 and 儿童督导员 can decide whom to visit first. It is a screening aid, never an",
        "automated determination: it does not decide support, custody or any benefit. Mandatory-report",
        "rule flags are shown separately and always go to the top of a list, whatever the score.",
        "",
        f"**概率的含义**：{probability_meaning(horizon_days)}。",
        "It estimates *detected* outcomes: on simulated counties only about four in ten true outcomes are",
        "ever detected, so the probability is well below the chance that something happens. Calibration: "
        + str(result.parts.extra.get("calibration_method", "isotonic")),
        "(chosen on held-out dates by calibration error and by keeping every child at the top of the list",
        "distinguishable).",
        "",
        "Not for: judging families or caseworkers, eligibility decisions, or any use outside the county's",
        "welfare work. Sex, ethnicity, disability and township are not model inputs; they are audit groups.",
        "",
        "## Data",
        f"- data window (as-of dates): {result.data_window}; fit {result.split.window('fit')}, calibration "
        f"{result.split.window('calibration')}, test {result.split.window('test')}",
        f"- rows: {result.n_rows['fit']:,} fit, {result.n_rows['calibration']:,} calibration, "
        f"{result.n_rows['test']:,} test; only rows whose label window is fully recorded",
        f"- temporal splits with a {horizon_days}-day gap between parts (no label window overlaps a later",
        "  part)",
        f"- feature spec {spec_version} (sha256 {spec_hash[:12]}…); {len(result.parts.inputs)} indicators; "
        f"code {git_sha[:12]}",
        f"- data snapshot (content hash of the feature matrix): `{result.data_snapshot}`",
        "- every training setting (LightGBM parameters and seed, split sizes) is in the run's params",
        "",
        "## Model",
        "LightGBM with monotone constraints from the spec's directions (a higher value of an indicator",
        "with an increasing direction never lowers the score), calibrated on a later slice.",
        "Explanations are exact TreeSHAP contributions (LightGBM `pred_contrib`) summed per indicator",
        "family: `reasons` are the families that raise the score (largest first), `protective_reasons`",
        "those that lower it; each names the family's strongest indicator with the reference cohort's",
        "median (same age group where known).",
        "",
        f"Output contract {CONTRACT_VERSION} (`shouhu_core.model_contract`, carried with the model as its",
        "code): each reason also says how its value reads to a person (`display`, and `codes` for coded",
        f"values, from the spec). The spec travels with the model as `{SPEC}`: serving builds this version's",
        "inputs with it, whatever the project's current spec says. Before this version serves it must score",
        "its stored reference example (cohort medians, no child's record) into a frame the contract accepts.",
        "",
        "## Headline (latest test window)",
        f"k = {k} visits per township per 30-day cycle; every list ranked as shipped (rule flags first).",
        "On simulated data the *true* outcomes (everything that happened, seen or not) come first: the label",
        "the model learns is a *detected* outcome, and who is detected depends on who is looked at.",
        "",
        to_markdown(headline_table(result)),
        "",
        _ceiling_line(result),
        "",
        "## Metrics on the latest test window (vs baselines)",
        "The tier rule is what caseworkers do today (red / orange / yellow / green, then most overdue),",
        "computed from the same records as of the date (training.baselines says how each fact is read);",
        "here from "
        + (
            "the warehouse's records (features.tier_rule)."
            if result.extra.get("tier_rule_source") == "warehouse"
            else "the matrix's indicators (an approximation: no warehouse was given)."
        ),
        "",
        to_markdown(metrics_table(result)),
        "",
        "Backtest (rolling origins):",
        "",
        to_markdown(result.backtest),
        "",
        "## Bands (percentile within the county's current cohort)",
        "| band | 色 | percentile | share |",
        "|---|---|---|---|",
        *band_rows,
        "",
        "## Groups (fairness)",
        f"Top-k selection per township and cycle. Ratios are against the largest group; flagged outside "
        f"{BAND[0]}–{BAND[1]} when the group has enough positive labels. `calibration` is the mean",
        "predicted probability over the observed rate of the group (1 = right on average).",
        "",
        "**Promotion gate** (training.fairness_gate): each group's recall ratio (the share of its children",
        "with an outcome who are on the list, over the reference group's) with a 95% cluster-bootstrap",
        "interval. A group fails only when the whole interval and the point lie outside",
        f"{BAND[0]}–{BAND[1]}; an interval wider than {MAX_WIDTH:g}× (upper / lower) is *too few to judge*",
        "(不足以判断). The list judged is the top 10 % of each township's list (or capacity, if larger): at",
        "k per township a county's test window puts too few of a group's outcomes on the list to judge, and",
        "a share per township judges townships fairly (with a fixed k a small township's recall is high",
        "because it is small). In simulation each group is judged against true outcomes too. "
        + f"{', '.join(REPORTED_ONLY).capitalize()} by group are reported below but **not gated**.",
        "",
        *_judgement_lines(result),
        "",
        to_markdown(checks_table(result.judgement)) if result.judgement else "",
        "",
        to_markdown(fairness[[c for c in fairness_cols if c in fairness]])
        if not fairness.empty
        else "(no audit columns)",
        "",
        f"Flagged groups (any rate outside the band, gated or not): {len(flagged)}"
        + (
            ""
            if flagged.empty
            else ". These are point ratios; only the interval rule above decides promotion."
        ),
        "",
        "## Limits",
        "- The label is a *detected* outcome: children nobody sees are under-counted, so a low score is not",
        "  evidence of safety. Visits both find problems and are sent where problems are expected.",
        "- Trained on the county's own past; a change in policy, visit practice or feeds changes what it",
        "  learns. Retrained monthly and promoted only through gates; rollback is one command.",
        "- Records typed in late are not seen until they are recorded; stale feeds lower the quality.",
        "- Percentiles and bands are relative to this county's cohort, not an absolute risk grade.",
        "",
        f"_Generated {created:%Y-%m-%d %H:%M} UTC._",
    ]
    return "\n".join(lines) + "\n"
