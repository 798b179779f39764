"""Scores for everyone, explanations for the listed. A province's batch run scores every child (the lists
need every margin) but a person reads the reasons only of the children who go on a list; the exact TreeSHAP
contributions (`pred_contrib`) and the reasons built from them cost ≈ 20× a plain prediction (195 against
10 µs a child in the province benchmark), so at a million children explaining everyone is most of the run.
Here the model scores every row unexplained (`params={"explain": False}`), the lists are ranked in the one
list order (`shouhu_core.list_order`), and the model explains again only the rows that go on a list: within
its capacity, and every rule-flagged child (a mandatory report is listed whatever its rank). The explained
rows' reasons are the model's own, equal to those of explaining everyone (tests/training/test_listed.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shouhu_core.list_order import Capacity, Scope, flagged, list_ranks
from shouhu_core.model_contract import REASON_COLUMNS

LIST_KEYS = ("child_key", "as_of", "village_code", "township_code")  # what the list order needs of a row


@dataclass(frozen=True)
class Listing:
    """Which children are explained: the top `capacity` of each `scope` list, and every rule-flagged child."""

    scope: Scope = "township"
    capacity: Capacity = 40


def predict(
    inputs: pd.DataFrame,
    model: Any,
    chunk: int,
    explain: bool = True,
    advance: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """The model's output for `inputs` (chunk by chunk), on a fresh 0..n-1 index."""
    params = None if explain else {"explain": False}
    parts = []
    for start in range(0, len(inputs), chunk):
        part = inputs.iloc[start : start + chunk]
        parts.append(model.predict(part, params=params).reset_index(drop=True))
        if advance:
            advance(len(part))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def listed_rows(frame: pd.DataFrame, margin: np.ndarray, listing: Listing) -> np.ndarray:
    """True for the rows of `frame` that go on a list, given each row's `margin`."""
    keys = [c for c in LIST_KEYS if c in frame.columns]
    ranked = frame[keys].reset_index(drop=True)
    flags = frame["rule_flags"] if "rule_flags" in frame.columns else pd.Series("", index=frame.index)
    ranked["rule_flags"] = flags.fillna("").astype(str).to_numpy()
    ranked["margin"] = margin
    selected = list_ranks(ranked, listing.scope, listing.capacity)["selected"].to_numpy()
    return selected | flagged(ranked)


def score_listed(
    frame: pd.DataFrame,
    model: Any,
    inputs: list[str],
    listing: Listing,
    chunk: int = 50_000,
    advance: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The model's output row for row with `frame` (0..n-1 index): probability, percentile, band and margin
    for every row, reasons only where the row goes on a list (missing elsewhere); and that mask."""
    scored = predict(frame[inputs], model, chunk, explain=False, advance=advance)
    if scored.empty:
        return scored, np.zeros(0, dtype=bool)
    mask = listed_rows(frame, scored["margin"].to_numpy(dtype="float64"), listing)
    if mask.any():
        explained = predict(frame.loc[mask, inputs], model, chunk, explain=True)
        for column in REASON_COLUMNS:
            if column in explained.columns:
                scored.loc[mask, column] = explained[column].to_numpy()
    return scored, mask
