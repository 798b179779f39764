"""Ranking and probability metrics at real capacity, on the list as shipped.

A caseworker's list is ordered by `shouhu_core.list_order` (rule-flagged children first, then the score, ties
by child_key): precision@k and recall@k take the first k children of each township's list per as-of date, and
precision@p% the first p % of the county's list per as-of date, pooled over dates. Every scorer — the model, a
baseline, the oracle — is judged on the list it would ship, so a coarse score's ties are broken the same fixed
way for all (by the pseudonymous key, an order that favours no one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from shouhu_core.list_order import Scope, list_ranks

CAPACITY_SCOPE: Scope = "township"  # settings.visits_per_township: visits one township makes per cycle
TOP_PCTS: tuple[float, ...] = (0.05, 0.10, 0.20)


def top_k_mask(frame: pd.DataFrame, score: np.ndarray, k: int, scope: Scope = CAPACITY_SCOPE) -> np.ndarray:
    """True for the first `k` children of each list (`scope` area and as-of date) as shipped."""
    return list_ranks(frame, scope, int(k), score=np.asarray(score, dtype="float64"))["selected"].to_numpy()


def top_pct_mask(frame: pd.DataFrame, score: np.ndarray, pct: float, scope: Scope = "county") -> np.ndarray:
    """True for the first `pct` (rounded up) of each list (`scope` area and as-of date) as shipped."""
    ranks = list_ranks(frame, scope, float(pct), score=np.asarray(score, dtype="float64"))
    return ranks["selected"].to_numpy()


def precision_recall(y: np.ndarray, selected: np.ndarray) -> tuple[float, float]:
    y = np.asarray(y).astype(bool)
    tp = float((y & selected).sum())
    precision = tp / selected.sum() if selected.sum() else float("nan")
    recall = tp / y.sum() if y.sum() else float("nan")
    return precision, recall


def ranking_metrics(
    frame: pd.DataFrame, score: np.ndarray, label: str, k: int, pcts: Sequence[float] = TOP_PCTS
) -> dict[str, float]:
    """precision/recall at capacity k per township and as-of, and at the top p % of each as-of."""
    y = frame[label].to_numpy()
    out: dict[str, float] = {}
    p, r = precision_recall(y, top_k_mask(frame, score, k))
    out["precision_at_k"], out["recall_at_k"] = p, r
    for pct in pcts:
        p, r = precision_recall(y, top_pct_mask(frame, score, pct))
        out[f"precision_at_{round(pct * 100)}pct"], out[f"recall_at_{round(pct * 100)}pct"] = p, r
    return out


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Mean |observed - predicted| over equal-count bins, weighted by bin size."""
    y = np.asarray(y, dtype="float64")
    prob = np.asarray(prob, dtype="float64")
    if len(y) == 0:
        return float("nan")
    order = np.argsort(prob, kind="stable")
    total = 0.0
    for part in np.array_split(order, min(bins, len(y))):
        total += len(part) * abs(y[part].mean() - prob[part].mean())
    return total / len(y)


def probability_metrics(y: np.ndarray, score: np.ndarray, prob: np.ndarray | None) -> dict[str, float]:
    """Ranking quality from `score` (PR-AUC, ROC-AUC); calibration from `prob` (Brier, ECE)."""
    y = np.asarray(y).astype(int)
    both = len(np.unique(y)) == 2
    out = {
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "base_rate": float(y.mean()),
    }
    if prob is not None:
        out["brier"] = float(brier_score_loss(y, prob))
        out["ece"] = expected_calibration_error(y, prob)
        out["mean_probability"] = float(np.mean(prob))
    return out


def calibration_table(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> pd.DataFrame:
    observed, predicted = calibration_curve(np.asarray(y).astype(int), prob, n_bins=bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})


def truth_rows(frame: pd.DataFrame) -> np.ndarray | None:
    """Rows with a known true outcome (simulated data), or None when the frame has no truth."""
    if "true_label" not in frame or not frame["true_label"].notna().any():
        return None
    return frame["true_label"].notna().to_numpy()


def evaluate(
    frame: pd.DataFrame, score: np.ndarray, prob: np.ndarray | None, k: int, label: str = "label"
) -> dict[str, float]:
    """Every metric of one scorer on one window: against `label`, and — prefixed `true_` — the same against
    the simulator's `true_label` when present (a probability calibrated on detected outcomes under-predicts
    the true ones; the gap is how much goes unseen)."""
    out = ranking_metrics(frame, score, label, k)
    out.update(probability_metrics(frame[label].to_numpy(), score, prob))
    known = truth_rows(frame)
    if known is not None:
        truth = frame[known]
        score_t = np.asarray(score)[known]
        prob_t = None if prob is None else np.asarray(prob)[known]
        found = ranking_metrics(truth, score_t, "true_label", k)
        found.update(probability_metrics(truth["true_label"].to_numpy(), score_t, prob_t))
        out.update({f"true_{name}": value for name, value in found.items()})
    return out


def oracle_ratios(frame: pd.DataFrame, score: np.ndarray, k: int) -> dict[str, float]:
    """precision@k of `score` over precision@k of ranking by the hidden `true_risk` (simulated data only),
    against the true outcomes (`oracle_ratio`) and against the detected label (`oracle_ratio_detected`). The
    oracle's list is shipped like any other: rule-flagged children first, then by true risk."""
    if "true_risk" not in frame or frame["true_risk"].isna().all():
        return {}
    # children the truth has no risk for at this date (left the registry, …) are left out of both rankings
    known = frame["true_risk"].notna().to_numpy()
    frame, score = frame[known], np.asarray(score)[known]
    oracle = frame["true_risk"].to_numpy(dtype="float64")
    out = {"oracle_coverage": float(known.mean())}
    for label, name in (("true_label", "oracle_ratio"), ("label", "oracle_ratio_detected")):
        if label not in frame or frame[label].isna().any():
            continue
        y = frame[label].to_numpy()
        mine, _ = precision_recall(y, top_k_mask(frame, score, k))
        best, _ = precision_recall(y, top_k_mask(frame, oracle, k))
        out[name] = mine / best if best else float("nan")
        mine10, _ = precision_recall(y, top_pct_mask(frame, score, 0.10))
        best10, _ = precision_recall(y, top_pct_mask(frame, oracle, 0.10))
        out[f"{name}_at_10pct"] = mine10 / best10 if best10 else float("nan")
    return out


def detection_shares(frame: pd.DataFrame, selected: np.ndarray) -> dict[str, float]:
    """Of the true outcomes (simulated data), the share detected among children on the list and among the
    rest: a list that mostly finds what its own visits detect shows a gap here (surveillance bias)."""
    known = truth_rows(frame)
    if known is None:
        return {}
    truth = frame["true_label"].to_numpy()[known] == 1
    found = frame["label"].to_numpy()[known] == 1
    inside = np.asarray(selected)[known]
    out = {}
    for name, part in (("detected_share_in_top_k", inside), ("detected_share_outside_top_k", ~inside)):
        n = int((truth & part).sum())
        out[name] = float((found & truth & part).sum() / n) if n else float("nan")
    return out
