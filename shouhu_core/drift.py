"""Population stability (PSI) of a distribution against a reference cohort's, as pure functions.

A reference histogram is stored with each model (`model_contract.DRIFT`, written at training time): per model
input and for the score (the margin), bin edges cut at the reference cohort's quantiles and the share of the
cohort in each bin, plus the share missing. Monitoring counts the live cohort into the same bins and compares
the shares. Missing values are a bin of their own, since a feed that stops arriving shows first as missing
inputs.

PSI = Σ (live − ref) · ln(live / ref) over the bins; shares are floored at `EPS` so an empty bin does not make
it infinite. Conventional reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 large shift."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

EPS = 1e-4
MAX_BINS = 10


def edges_of(values: np.ndarray, max_bins: int = MAX_BINS) -> list[float]:
    """Inner bin edges at the quantiles of the non-missing `values` (duplicates dropped, so an indicator
    with few distinct values — a flag, a count — gets one bin per value rather than empty bins)."""
    x = np.asarray(values, dtype="float64")
    x = x[~np.isnan(x)]
    if x.size == 0:
        return []
    qs = np.quantile(x, np.linspace(0, 1, max_bins + 1)[1:-1])
    distinct = np.unique(x)
    if distinct.size <= max_bins:
        # one bin per value: edges halfway between neighbouring values
        return ((distinct[1:] + distinct[:-1]) / 2).tolist()
    return np.unique(qs).tolist()


def counts_in(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Counts per bin: bins `(-inf, e0], (e0, e1], …, (e_last, inf)`, then one for missing values."""
    x = np.asarray(values, dtype="float64")
    missing = np.isnan(x)
    bins = np.searchsorted(np.asarray(edges, dtype="float64"), x[~missing], side="left")
    out = np.bincount(bins, minlength=len(edges) + 1).astype("int64")
    return np.append(out, int(missing.sum()))


def shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype="float64")
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def psi(reference: Sequence[float], live: Sequence[float], eps: float = EPS) -> float:
    """Population stability index of `live` shares against `reference` shares (same bins)."""
    ref = np.maximum(np.asarray(reference, dtype="float64"), eps)
    cur = np.maximum(np.asarray(live, dtype="float64"), eps)
    if ref.shape != cur.shape:
        raise ValueError(f"bins differ: reference {ref.shape}, live {cur.shape}")
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def histogram(values: np.ndarray, max_bins: int = MAX_BINS) -> dict[str, Any]:
    """{"edges": inner edges, "shares": share per bin, missing last, "n": rows} of a reference cohort."""
    edges = edges_of(values, max_bins)
    return {"edges": edges, "shares": shares(counts_in(values, edges)).tolist(), "n": len(values)}


def reference(
    columns: Mapping[str, np.ndarray], score: np.ndarray, max_bins: int = MAX_BINS
) -> dict[str, Any]:
    """The drift reference stored with a model: a histogram of the score and of each input."""
    return {
        "version": 1,
        "score": histogram(score, max_bins),
        "inputs": {name: histogram(values, max_bins) for name, values in columns.items()},
    }


def psi_against(ref: Mapping[str, Any], values: np.ndarray) -> float:
    """PSI of `values` counted into a stored histogram's bins."""
    return psi(ref["shares"], shares(counts_in(values, ref["edges"])))


def psi_table(ref: Mapping[str, Any], columns: Mapping[str, np.ndarray]) -> dict[str, float]:
    """PSI of each input present in both the reference and `columns`."""
    stored = ref.get("inputs", {})
    return {name: psi_against(stored[name], columns[name]) for name in columns if name in stored}


def worst(values: Iterable[tuple[str, float]], n: int = 5) -> list[tuple[str, float]]:
    return sorted(values, key=lambda kv: -kv[1])[:n]
