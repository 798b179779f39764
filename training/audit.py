"""`shouhu audit`: the fairness audit of any scored file (CSV or parquet), not only Shouhu's.

The selection is whatever the user's process did: the top N or top P % by a score column, a score threshold,
or a 0/1 column of decisions. A file that carries Shouhu's list columns (`rule_flags` and `child_key`, as
`shouhu score` writes them) is ranked as Shouhu ships its lists (`shouhu_core.list_order`: rule-flagged
children first, ties by child key, one county list per as-of date); any other file by score alone, ties in
file order. Per group: n, base rate, selection rate, precision, TPR, FPR, FNR and disparity
ratios against a reference group (default: the largest).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shouhu_core.list_order import list_ranks
from training.fairness import group_table

TRUTHY = {"1", "true", "t", "yes", "y", "是", "1.0"}
FALSY = {"0", "false", "f", "no", "n", "否", "0.0"}
COLUMNS = [
    "group",
    "reference",
    "n",
    "positives",
    "base_rate",
    "selection_rate",
    "precision",
    "tpr",
    "fpr",
    "fnr",
    "selection_rate_ratio",
    "precision_ratio",
    "tpr_ratio",
    "fpr_ratio",
    "fnr_ratio",
    "flagged",
]


class AuditError(ValueError):
    """A problem with the user's file or options, explained in words."""


def read_scores(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise AuditError(f"{path} does not exist")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() in (".csv", ".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(path, encoding=encoding)
            except UnicodeDecodeError:
                continue
    raise AuditError(f"{path}: expected a .csv or .parquet file")


def as_binary(values: pd.Series, name: str) -> np.ndarray:
    """0/1, true/false, 是/否 → bool; anything else is an error naming the bad value."""
    if pd.api.types.is_bool_dtype(values):
        if values.isna().any():
            raise AuditError(f"column {name!r} has missing values")
        return values.to_numpy(dtype=bool)
    text = values.astype("string").str.strip().str.lower()
    bad = text[~text.isin(TRUTHY | FALSY)]
    if len(bad):
        raise AuditError(
            f"column {name!r} must be 0/1 (or true/false); found {bad.iloc[0]!r} in {len(bad)} rows"
        )
    return text.isin(TRUTHY).to_numpy(dtype=bool)


def selection(
    frame: pd.DataFrame,
    score: str | None,
    top_k: int | None = None,
    top_pct: float | None = None,
    threshold: float | None = None,
    predicted: str | None = None,
) -> np.ndarray:
    """The selected rows under exactly one rule."""
    chosen = [o for o in (top_k, top_pct, threshold, predicted) if o is not None]
    if len(chosen) != 1:
        raise AuditError("give exactly one of --top-k, --top-pct, --threshold or --predicted")
    if predicted is not None:
        _need(frame, predicted)
        return as_binary(frame[predicted], predicted)
    if score is None:
        raise AuditError("--top-k, --top-pct and --threshold need --score COLUMN")
    _need(frame, score)
    values = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype="float64")
    if np.isnan(values).any():
        raise AuditError(f"score column {score!r} has missing or non-numeric values")
    if threshold is not None:
        return values >= threshold
    if top_pct is not None and not 0 < top_pct <= 100:
        raise AuditError("--top-pct is a percentage in (0, 100]")
    if top_k is not None and top_k < 0:
        raise AuditError("--top-k must be positive")
    if {"rule_flags", "child_key"} <= set(frame.columns):
        return shipped_selection(frame, values, top_k, top_pct)
    if top_pct is not None:
        top_k = int(np.ceil(len(values) * top_pct / 100))
    assert top_k is not None
    order = np.argsort(-values, kind="stable")  # ties: file order, so the result is reproducible
    mask = np.zeros(len(values), dtype=bool)
    mask[order[:top_k]] = True
    return mask


def shipped_selection(
    frame: pd.DataFrame, values: np.ndarray, top_k: int | None, top_pct: float | None
) -> np.ndarray:
    """The first `top_k` (or `top_pct` %) of the county's list per as-of date, as Shouhu ships it."""
    capacity: int | float | None = top_k
    if top_pct is not None:
        capacity = None if top_pct >= 100 else top_pct / 100
    ranked = frame.assign(rule_flags=frame["rule_flags"].fillna("").astype(str))
    if "village_code" not in ranked.columns and "township_code" not in ranked.columns:
        ranked = ranked.assign(township_code="000000000000")  # one county list
    return list_ranks(ranked, "county", capacity, score=values)["selected"].to_numpy()


def _need(frame: pd.DataFrame, column: str) -> None:
    if column not in frame.columns:
        raise AuditError(f"no column {column!r}; the file has {', '.join(map(str, frame.columns))}")


def audit(
    frame: pd.DataFrame,
    label: str,
    group: str,
    selected: np.ndarray,
    reference: str | None = None,
) -> pd.DataFrame:
    _need(frame, label)
    _need(frame, group)
    y = as_binary(frame[label], label)
    groups = frame[group].astype("string")
    if reference is not None and reference not in set(groups.dropna()):
        raise AuditError(f"reference {reference!r} is not a value of {group!r}")
    table = group_table(y, selected, groups.rename(group), reference=reference)
    return table[COLUMNS]
