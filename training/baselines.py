"""The two baselines logged beside the model in every run.

- The official checklist: what a county does today without a model — mandatory-report rule flags first,
  then 监护情况评估 差/一般 and the riskier guardianship types — a hand-made points score (coarse, many ties).
- Logistic regression on the same indicators (median-imputed with missing-value indicators, standardized).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

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
