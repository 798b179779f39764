"""Group metrics and disparity ratios (fairlearn `MetricFrame`), for training runs and for `shouhu audit`.

For each group: n, positives, base rate, selection rate, precision, TPR (= recall@k when the selection is the
capacity list), FPR, FNR and, when a score is given, calibration (mean predicted / observed). Each rate is
divided by the reference group's (default: the largest group); a ratio outside 0.8–1.25 is flagged when the
group holds enough positives for the rate to mean something.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

BAND = (0.8, 1.25)
RATE_METRICS = ("selection_rate", "precision", "tpr", "fpr", "fnr")
# The promotion gate judges recall only (training.fairness_gate: an interval per group, townships at capacity
# proportional to their size): a list that misses one group's at-risk children more often is the harm we
# refuse. The other rates are reported in the fairness table but not gated: with a calibrated score a group
# with more risk is rightly selected (and falsely alarmed) more often; at capacity a group's selected children
# and outcomes are counted in single digits, so precision and calibration ratios are mostly noise.
GATE_METRICS = ("tpr",)
REPORTED_ONLY = ("fpr", "selection_rate", "precision", "calibration")
GATE_LABELS = {"tpr": "recall@k", "fpr": "false-positive rate@k", "selection_rate": "selection rate"}


def _div(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def _n(y, s) -> float:
    return float(len(y))


def _positives(y, s) -> float:
    return float(np.sum(y))


def _base_rate(y, s) -> float:
    return _div(np.sum(y), len(y))


def _selection_rate(y, s) -> float:
    return _div(np.sum(s), len(s))


def _precision(y, s) -> float:
    return _div(np.sum(y & s), np.sum(s))


def _tpr(y, s) -> float:
    return _div(np.sum(y & s), np.sum(y))


def _fpr(y, s) -> float:
    return _div(np.sum(~y & s), np.sum(~y))


def _fnr(y, s) -> float:
    return _div(np.sum(y & ~s), np.sum(y))


def _mean_score(y, s, score) -> float:
    return float(np.mean(score)) if len(score) else float("nan")


def _calibration(y, s, score) -> float:
    # Expected over observed outcomes; 1 means the group's probabilities are right on average.
    return _div(np.sum(score), np.sum(y))


METRICS = {
    "n": _n,
    "positives": _positives,
    "base_rate": _base_rate,
    "selection_rate": _selection_rate,
    "precision": _precision,
    "tpr": _tpr,
    "fpr": _fpr,
    "fnr": _fnr,
}


def group_table(
    y_true: np.ndarray,
    selected: np.ndarray,
    groups: pd.Series,
    score: np.ndarray | None = None,
    reference: object | None = None,
    min_positives: int = 0,
    band: tuple[float, float] = BAND,
) -> pd.DataFrame:
    """One row per group of `groups`: the metrics, `<metric>_ratio` vs the reference and the flags."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(selected).astype(bool)
    metrics = dict(METRICS)
    params = None
    if score is not None:
        metrics |= {"mean_score": _mean_score, "calibration": _calibration}
        score = np.asarray(score, dtype="float64")
        params = {"mean_score": {"score": score}, "calibration": {"score": score}}
    sensitive = groups.astype("string").fillna("(missing)").rename(groups.name or "group")
    frame = MetricFrame(
        metrics=metrics, y_true=y, y_pred=s, sensitive_features=sensitive.to_numpy(), sample_params=params
    )
    table = frame.by_group.astype("float64")
    table.index = table.index.astype(str)
    table.index.name = "group"
    ref = str(reference) if reference is not None else str(table["n"].idxmax())
    if ref not in table.index:
        raise ValueError(f"reference group {ref!r} is not among the groups {sorted(table.index)}")
    ratio_metrics = [*RATE_METRICS, *(["calibration"] if score is not None else [])]
    for metric in ratio_metrics:
        base = table.loc[ref, metric]
        table[f"{metric}_ratio"] = table[metric] / base if base and not np.isnan(base) else np.nan
    table["judged"] = table["positives"] >= min_positives
    lo, hi = band
    flagged = []
    for _, row in table.iterrows():
        out = [
            m
            for m in ratio_metrics
            if row["judged"] and not np.isnan(row[f"{m}_ratio"]) and not lo <= row[f"{m}_ratio"] <= hi
        ]
        flagged.append(";".join(out))
    table["flagged"] = flagged
    table.insert(0, "reference", table.index == ref)
    table[["n", "positives"]] = table[["n", "positives"]].astype("int64")
    return table.reset_index()


def fairness_report(
    frame: pd.DataFrame,
    selected: np.ndarray,
    attributes: Sequence[str],
    label: str = "label",
    score: np.ndarray | None = None,
    min_positives: int = 10,
) -> pd.DataFrame:
    """`group_table` for each audit attribute present in `frame`, stacked with an `attribute` column."""
    parts = []
    for attribute in attributes:
        if attribute not in frame:
            continue
        t = group_table(
            frame[label].to_numpy(),
            selected,
            frame[attribute].rename(attribute),
            score=score,
            min_positives=min_positives,
        )
        t.insert(0, "attribute", attribute)
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def to_markdown(table: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-style Markdown table (no extra dependency: pandas' to_markdown needs `tabulate`)."""

    def cell(v: object) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)
