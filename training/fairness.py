"""Group metrics and disparity ratios (fairlearn `MetricFrame`), for training runs and for `shouhu audit`.

For each group: n, positives, base rate, selection rate, precision, TPR (= recall@k when the selection is the
capacity list), FPR, FNR and, when a score is given, calibration (mean predicted / observed). Each rate is
divided by the reference group's (default: the largest group); a ratio outside 0.8–1.25 is flagged when the
group holds enough positives for the rate to mean something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

BAND = (0.8, 1.25)
RATE_METRICS = ("selection_rate", "precision", "tpr", "fpr", "fnr")
# The promotion gate: recall among children who did have an outcome (a model that misses one group's at-risk
# children more often is the harm we refuse), the false-positive rate (visits spent on — and attention drawn
# to — one group's children without cause) and the selection rate (who gets visited at all).
GATE_METRICS = ("tpr", "fpr", "selection_rate")
# Reported in the fairness table but not gated: at k children per township and cycle a group's selected
# children (precision) and outcomes (calibration) are counted in single digits, so their ratios are noise.
REPORTED_ONLY = ("precision", "calibration")
# The capacity list takes k children per township, so a township's selection rate is k / its size and its
# false-positive rate about (k - hits) / its children without an outcome: facts of the visit plan and the
# township's size, not of the model. Townships are judged on recall only.
NOT_GATED: dict[str, tuple[str, ...]] = {"township_code": ("fpr", "selection_rate")}
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


def _support(row: pd.Series, ref: pd.Series, metric: str) -> float:
    """Events behind a group's rate: its outcomes for recall; for the false-positive and selection rates the
    count expected at the reference group's rate (a rate of 3 % over 100 children rests on 3 children)."""
    if metric == "tpr":
        return float(row["positives"])
    if metric == "fpr":
        return float(row["n"] - row["positives"]) * float(np.nan_to_num(ref["fpr"]))
    return float(row["n"]) * float(np.nan_to_num(ref["selection_rate"]))


@dataclass(frozen=True)
class Judgement:
    """What the fairness gate sees for one attribute."""

    attribute: str
    worst: float | None  # the judged gated ratio farthest from 1 (None: nothing could be judged)
    metric: str | None
    group: str | None
    reference: str
    unjudged: tuple[str, ...]  # "group: metric (support)" for every (group, metric) too small to judge

    def describe(self) -> str:
        if self.worst is None:
            return f"{self.attribute}: no group large enough to judge"
        return (
            f"{self.attribute}: worst {GATE_LABELS[self.metric or '']} ratio {self.worst:.2f} "
            f"(group {self.group} vs {self.reference})"
        )


def gate_judgement(
    report: pd.DataFrame, min_events: int = 10, metrics: Sequence[str] = GATE_METRICS
) -> list[Judgement]:
    """Per attribute, the gated ratio farthest from 1 among the (group, metric) pairs with at least
    `min_events` events behind both the group's and the reference group's rate, and the pairs left
    unjudged."""
    out: list[Judgement] = []
    if report.empty:
        return out
    for attribute, part in report.groupby("attribute", sort=False):
        ref = part[part["reference"]].iloc[0]
        gated = [m for m in metrics if m not in NOT_GATED.get(str(attribute), ())]
        worst: tuple[float, float, str, str] | None = None  # (|log ratio|, ratio, metric, group)
        unjudged: list[str] = []
        for _, row in part[~part["reference"]].iterrows():
            for m in gated:
                support = min(_support(row, ref, m), _support(ref, ref, m))
                ratio = row[f"{m}_ratio"]
                if support < min_events or np.isnan(ratio):
                    unjudged.append(f"{row['group']}: {GATE_LABELS[m]} ({support:.0f} < {min_events} events)")
                    continue
                far = abs(float(np.log(max(ratio, 1e-9))))
                if worst is None or far > worst[0]:
                    worst = (far, float(ratio), m, str(row["group"]))
        out.append(
            Judgement(
                str(attribute),
                worst[1] if worst else None,
                worst[2] if worst else None,
                worst[3] if worst else None,
                str(ref["group"]),
                tuple(unjudged),
            )
        )
    return out


def gate_disparities(report: pd.DataFrame, min_events: int = 10) -> dict[str, float]:
    """For each attribute with something judged, its worst gated ratio ({attribute: ratio})."""
    return {j.attribute: j.worst for j in gate_judgement(report, min_events) if j.worst is not None}


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
