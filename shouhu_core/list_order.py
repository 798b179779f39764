"""The one list order. Every visit list Shouhu ships, every gate metric, every backtest and every simulated
visit policy orders children with `order_lists` (or its aligned form `list_ranks`), so what is measured is the
list a caseworker sees.

The order, within one list (one scope area — a village, a township or the county — at one as-of date):
1. children with a mandatory-report rule flag first (`rule_flags` not empty), whatever their score;
2. then by the score (the model's `margin` by default), highest first; a missing score goes last;
3. ties by `child_key` ascending. The key is a keyed pseudonym, so this order is fixed for a county but
   favours no one (it is neither the registry order nor alphabetical by name).

Capacity is how many children of a list are visited this cycle: a whole number per list, a share of each
list (`0.1` = the top 10 %, rounded up, so a list's capacity grows with its size), a number per area code, or
`None` (everyone). `selected` marks the rows within capacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

Scope = Literal["village", "township", "county"]
Capacity = int | float | Mapping[str, int] | None

SCOPES: tuple[Scope, ...] = ("village", "township", "county")
TIE_BREAK = (
    "rule-flagged first; then the model's margin, highest first (missing last); ties by child_key ascending"
)
TIE_BREAK_ZH = "强制报告情形优先；其余按评分从高到低；评分相同时按儿童编号（化名）顺序"


def area_code(codes: pd.Series, scope: Scope) -> pd.Series:
    """The 12-digit area code of each row's list, from a village (or, for township and county lists, a
    township) code: the village itself, its township (first 9 digits + 000) or its county (first 6 digits +
    000000) — the same prefixes serving uses for jurisdiction."""
    codes = codes.astype("string")
    if scope == "village":
        return codes
    if scope == "township":
        return codes.str.slice(0, 9) + "000"
    if scope == "county":
        return codes.str.slice(0, 6) + "000000"
    raise ValueError(f"unknown scope {scope!r}: expected one of {SCOPES}")


def _area_codes(frame: pd.DataFrame, scope: Scope) -> pd.Series:
    # A frame without villages (the gate's stored test window keeps only townships) can still be ranked by
    # township or county.
    if "village_code" in frame.columns:
        return area_code(frame["village_code"], scope)
    if scope != "village" and "township_code" in frame.columns:
        return area_code(frame["township_code"], scope)
    raise ValueError(
        f"a {scope} list needs a `village_code` column"
        + ("" if scope == "village" else " (or `township_code`)")
    )


def flagged(frame: pd.DataFrame) -> np.ndarray:
    """True where a mandatory-report rule fires (`rule_flags` holds rule names; '' or missing when none)."""
    if "rule_flags" not in frame.columns:
        raise ValueError("the list order needs a `rule_flags` column ('' where no rule fires)")
    return (frame["rule_flags"].fillna("").astype(str) != "").to_numpy()


def _capacities(codes: np.ndarray, sizes: np.ndarray, capacity: Capacity) -> np.ndarray:
    """Capacity of each list, given its area code and size."""
    if capacity is None:
        return sizes.astype("int64")
    if isinstance(capacity, Mapping):
        return np.array([int(capacity.get(str(c), 0)) for c in codes], dtype="int64")
    if isinstance(capacity, bool) or capacity < 0:
        raise ValueError(f"capacity must be a count, a share in (0, 1) or a mapping, got {capacity!r}")
    if isinstance(capacity, float) and capacity < 1.0:
        # a share: each list's top `capacity`, rounded up (a non-empty list always gets at least one visit)
        return np.ceil(capacity * sizes - 1e-9).astype("int64")
    if isinstance(capacity, float) and not capacity.is_integer():
        raise ValueError(f"a fractional capacity must be a share below 1, got {capacity!r}")
    return np.full(len(sizes), int(capacity), dtype="int64")


def _group_ids(keys: list[pd.Series]) -> np.ndarray:
    """One id per distinct combination of the keys, in order of first appearance (as a MultiIndex's
    factorize), from each key's integer codes: a MultiIndex would build a tuple per row, 4 s at 766k rows."""
    combined = np.zeros(len(keys[0]), dtype="int64")
    for key in keys:
        ids, uniques = pd.factorize(key, use_na_sentinel=False)
        combined = combined * max(len(uniques), 1) + ids
    return pd.factorize(combined)[0]


def list_ranks(
    scored: pd.DataFrame,
    scope: Scope = "village",
    capacity: Capacity = None,
    *,
    score: str | np.ndarray = "margin",
    cycle: str | None = "as_of",
) -> pd.DataFrame:
    """Row for row with `scored` (same index): `list_code` (the area code of the row's list), `list_rank`
    (1-based position in that list) and `selected` (within the list's capacity).

    Lists are separated by area code and, when `scored` has it, by the `cycle` column (the as-of date), so a
    frame holding many dates is ranked date by date. `score` names a column or gives the scores themselves
    (a baseline's, say), aligned with the rows."""
    n = len(scored)
    if n == 0:
        return pd.DataFrame(
            {
                "list_code": pd.Series(dtype="string"),
                "list_rank": pd.Series(dtype="int64"),
                "selected": pd.Series(dtype=bool),
            },
            index=scored.index,
        )
    values = scored[score] if isinstance(score, str) else score
    values = np.asarray(values, dtype="float64")
    if values.shape != (n,):
        raise ValueError(f"score has shape {values.shape}, expected ({n},)")
    codes = _area_codes(scored, scope)
    keys = [codes]
    if cycle is not None and cycle in scored.columns:
        keys.insert(0, scored[cycle])
    group = _group_ids(keys) if len(keys) > 1 else codes.factorize()[0]
    # np.lexsort sorts by the last key first: list, then flag, then score (NaN last), then child_key
    score_key = np.where(np.isnan(values), np.inf, -values)
    child = pd.factorize(scored["child_key"].astype(str), sort=True)[0]
    order = np.lexsort((child, score_key, ~flagged(scored), group))

    in_order = group[order]
    starts = np.r_[True, in_order[1:] != in_order[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(n) - first + 1

    sizes = np.bincount(group)
    first_code = np.empty(len(sizes), dtype=object)
    first_code[group[order[starts]]] = codes.to_numpy(dtype=object)[order[starts]]
    limit = _capacities(first_code, sizes, capacity)[group]
    return pd.DataFrame(
        {"list_code": codes.to_numpy(), "list_rank": rank, "selected": rank <= limit}, index=scored.index
    )


def order_lists(
    scored: pd.DataFrame,
    scope: Scope = "village",
    capacity: Capacity = None,
    *,
    score: str | np.ndarray = "margin",
    cycle: str | None = "as_of",
) -> pd.DataFrame:
    """`scored` as shipped: list by list (cycle, then area code), each in list order, with the columns of
    `list_ranks` added and a fresh index."""
    ranks = list_ranks(scored, scope, capacity, score=score, cycle=cycle)
    out = pd.concat([scored, ranks], axis=1)
    sort = ["list_code", "list_rank"]
    if cycle is not None and cycle in scored.columns:
        sort.insert(0, cycle)
    return out.sort_values(sort, kind="stable").reset_index(drop=True)
