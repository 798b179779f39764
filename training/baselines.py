"""The baselines logged beside the model in every run (each ranked as the list is shipped: rule flags first).

- The tier rule: what caseworkers do today (DOMAIN §1.5, the simulator's `simulation.policy.tiers`) — red: a
  detected incident ≤ 60 days ago; orange: 监护情况评估 差, unsupervised or self-care, the last visit raised
  a concern; yellow: 一般, a 困境 child, a parent incapable of care; green: the rest; within a tier, the most
  overdue visit first. When training reads the warehouse, the tier and the days since the last visit come
  from the warehouse records (`features.tier_rule`, attached to the matrix as `tier_rule_tier` and
  `tier_rule_days_since_visit`; never model inputs). With only a matrix file, the tier is approximated from
  the matrix's indicators, which do not carry every fact exactly: "detected incident ≤ 60 days" is read as
  any detected incident in the last 365 days (`prior_incidents_365d`), "the last visit raised a concern" as
  its carer rating 差 or living conditions 1–2 of 5, and 困境 as 低保/特困 (`dibao_or_tekun`).
- The official checklist: mandatory-report rule flags first, then 监护情况评估 差/一般 and the riskier
  guardianship types — a hand-made points score (coarse, many ties).
- A three-term heuristic: the sum of the percentile ranks of the checklist score, prior incidents and the
  unexcused-absence rate (what an analyst would try first with a spreadsheet).
- Logistic regression on the same indicators (median-imputed with missing-value indicators, standardized).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from features.tier_rule import DAYS_COLUMN, TIER_COLUMN

# Points of the hand-made checklist score. An indicator's points apply when its value equals the key.
RULE_FLAG_POINTS = 10.0
CHECKLIST_POINTS: dict[str, dict[float, float]] = {
    "registry_guardianship_assessment": {2.0: 4.0, 1.0: 1.0},  # 监护情况评估 差 / 一般
    "last_carer_rating": {2.0: 4.0, 1.0: 1.0},  # the latest visit's rating, same scale
    "guardianship_unsupervised": {1.0: 3.0},
    "guardianship_parent_incapable": {1.0: 2.0},
    "guardianship_relatives_or_entrusted": {1.0: 1.0},
    "both_parents_away": {1.0: 0.5},
}


def rule_flag_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("flag_")]


def checklist_score(frame: pd.DataFrame) -> np.ndarray:
    """Points: a fired mandatory-report rule outweighs everything else; then guardianship assessment and type.
    The two assessments count once (the worse of the two), so a child is not scored twice for one fact."""
    score = np.zeros(len(frame), dtype="float64")
    flags = rule_flag_columns(frame)
    if flags:
        score += RULE_FLAG_POINTS * frame[flags].fillna(False).astype(bool).any(axis=1).to_numpy()
    assessment = np.zeros(len(frame))
    for name, points in CHECKLIST_POINTS.items():
        if name not in frame:
            continue
        values = frame[name].to_numpy(dtype="float64", na_value=np.nan)
        got = np.zeros(len(frame))
        for value, p in points.items():
            got = np.where(values == value, p, got)
        if name in ("registry_guardianship_assessment", "last_carer_rating"):
            assessment = np.maximum(assessment, got)
        else:
            score += got
    return score + assessment


def logistic_baseline(seed: int = 0) -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=500, random_state=seed),
    )


TIER_POINTS = 1e4  # a tier outranks any number of overdue days


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def tier_rule_source(frame: pd.DataFrame) -> str:
    """Where the tier rule baseline's tiers come from: "warehouse" records or the "matrix" indicators."""
    return "warehouse" if TIER_COLUMN in frame else "matrix"


def with_warehouse_tiers(frame: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """`frame` (the matrix) with the warehouse-computed tier and days since the last visit of each row
    (`features.tier_rule.tier_table`), rows and their order unchanged."""
    cols = ["child_key", "as_of", TIER_COLUMN, DAYS_COLUMN]
    out = without_warehouse_tiers(frame).merge(
        tiers[cols], on=["child_key", "as_of"], how="left", validate="many_to_one"
    )
    out.index = frame.index
    return out


def without_warehouse_tiers(frame: pd.DataFrame) -> pd.DataFrame:
    """The feature matrix proper (for its content hash): the baseline's warehouse columns left out."""
    return frame.drop(columns=[TIER_COLUMN, DAYS_COLUMN], errors="ignore")


def tier(frame: pd.DataFrame) -> np.ndarray:
    """0 red, 1 orange, 2 yellow, 3 green from the matrix's indicators alone (see the module docstring). What
    anything that shapes the model reads (training.bias's exposure strata), so a fit never depends on whether
    the warehouse's tiers were attached."""
    registry, visit = _column(frame, "registry_guardianship_assessment"), _column(frame, "last_carer_rating")
    assessment = np.fmax(registry, visit)
    red = _column(frame, "prior_incidents_365d") > 0
    concern = (_column(frame, "last_carer_rating") == 2) | (_column(frame, "last_living_conditions") <= 2)
    orange = (assessment == 2) | (_column(frame, "guardianship_unsupervised") == 1) | concern
    yellow = (
        (assessment == 1)
        | (_column(frame, "dibao_or_tekun") == 1)
        | (_column(frame, "guardianship_parent_incapable") == 1)
    )
    return np.select([red, orange, yellow], [0, 1, 2], default=3)


def baseline_tier(frame: pd.DataFrame) -> np.ndarray:
    """0 red, 1 orange, 2 yellow, 3 green: the warehouse-computed tier where the frame carries it (a row the
    warehouse had no tier for falls back to the approximation), else the matrix approximation."""
    approx = tier(frame)
    if TIER_COLUMN not in frame:
        return approx
    known = _column(frame, TIER_COLUMN)
    return np.where(np.isnan(known), approx, known).astype("int64")


def tier_rule_score(frame: pd.DataFrame) -> np.ndarray:
    """Higher = visited first: the tier, then the days a visit is overdue (never visited = most overdue).
    Within one tier every child has the same visit interval, so the days since the last visit (warehouse)
    order them as the days overdue do."""
    if TIER_COLUMN in frame:
        overdue = _column(frame, DAYS_COLUMN)
        missing = np.isnan(_column(frame, TIER_COLUMN))
        overdue = np.where(missing, _column(frame, "visit_overdue_days"), overdue)
    else:
        overdue = _column(frame, "visit_overdue_days")
    overdue = np.clip(np.nan_to_num(overdue, nan=TIER_POINTS - 1), 0, TIER_POINTS - 1)
    return (3 - baseline_tier(frame)) * TIER_POINTS + overdue


def _pct_rank(values: np.ndarray) -> np.ndarray:
    # missing counts as the lowest value: the heuristic has nothing to go on
    return pd.Series(np.nan_to_num(values, nan=-np.inf)).rank(method="average", pct=True).to_numpy()


def three_term_score(frame: pd.DataFrame) -> np.ndarray:
    """Rank sum of the checklist score, prior incidents (365 days) and unexcused absence (30 days)."""
    return (
        _pct_rank(checklist_score(frame))
        + _pct_rank(_column(frame, "prior_incidents_365d"))
        + _pct_rank(_column(frame, "unexcused_absence_rate_30d"))
    )
