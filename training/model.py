"""Fitting the risk model: a monotone-constrained LightGBM booster, a calibration of its margin on a later
slice (Platt or isotonic, chosen on held-out dates), and the reference cohort stored with it. Returns
`pyfunc.ModelParts`, which the pyfunc serves.

The booster is kept small on purpose (few shallow trees): exact TreeSHAP contributions cost time in proportion
to trees × leaves × depth², and serving explains every row (target ≥ 5,000 children/s on 2 cores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from shouhu_core import drift
from training.pyfunc import ALL_AGES, DEFAULT_BANDS, ModelParts

if TYPE_CHECKING:
    from features.spec import FeatureSpec

DIRECTION_SIGN = {"increasing": 1, "decreasing": -1, "none": 0}
QUANTILE_LEVELS = np.round(np.linspace(0.0, 100.0, 1001), 1)


@dataclass(frozen=True)
class BoosterParams:
    n_estimators: int = 80
    num_leaves: int = 12
    max_depth: int = 4
    learning_rate: float = 0.08
    min_child_samples: int = 200
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 5.0
    seed: int = 0
    num_threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)

    def lgb_params(self, constraints: list[int]) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": self.colsample_bytree,
            "lambda_l2": self.reg_lambda,
            "monotone_constraints": constraints,
            "monotone_constraints_method": "intermediate",
            "seed": self.seed,
            "deterministic": True,
            "num_threads": self.num_threads,
            "verbosity": -1,
            **self.extra,
        }


def monotone_constraints(inputs: list[str], directions: dict[str, str]) -> list[int]:
    return [DIRECTION_SIGN[directions.get(name, "none")] for name in inputs]


def as_matrix(frame: pd.DataFrame, inputs: list[str]) -> np.ndarray:
    return frame[inputs].to_numpy(dtype="float64", na_value=np.nan)


def fit_booster(
    x: np.ndarray,
    y: np.ndarray,
    inputs: list[str],
    constraints: list[int],
    params: BoosterParams,
    weight: np.ndarray | None = None,
) -> lgb.Booster:
    data = lgb.Dataset(x, label=y, weight=weight, feature_name=inputs, free_raw_data=True)
    return lgb.train(params.lgb_params(constraints), data, num_boost_round=params.n_estimators)


def fit_calibration(margin: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic regression of outcome on margin (monotone, so calibration never reorders children)."""
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, y)
    return np.asarray(iso.X_thresholds_, dtype="float64"), np.asarray(iso.y_thresholds_, dtype="float64")


PLATT_GRID = 1024  # points of the stored logistic curve; serving interpolates between them
PLATT_REACH = 8.0  # margins this far beyond the calibration window's still get a probability of their own


def fit_platt(margin: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Platt scaling (a logistic curve of the margin), stored as a dense table for the same interpolation as
    the isotonic map: strictly increasing, so the top of the list keeps its order in the probability too."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y.astype(int))
    a, b = float(fit.coef_[0, 0]), float(fit.intercept_[0])
    if a <= 0:  # a margin that does not rank: fall back to the monotone isotonic map
        return fit_calibration(margin, y)
    x = np.linspace(float(margin.min()) - PLATT_REACH, float(margin.max()) + PLATT_REACH, PLATT_GRID)
    return x, 1.0 / (1.0 + np.exp(-(a * x + b)))


CALIBRATORS = {"platt": fit_platt, "isotonic": fit_calibration}


def top_decile_resolution(margin: np.ndarray, table: tuple[np.ndarray, np.ndarray]) -> float:
    """Distinct probabilities over distinct margins in the top decile (1 = every child there has its own)."""
    top = np.unique(margin[margin >= np.quantile(margin, 0.9)])
    return len(np.unique(np.interp(top, *table))) / len(top) if len(top) else float("nan")


def choose_calibration(
    margin: np.ndarray, y: np.ndarray, dates: np.ndarray | None = None
) -> tuple[str, tuple[np.ndarray, np.ndarray], dict[str, float]]:
    """Each calibrator fitted on the earlier half of the calibration window's dates and scored on the later
    half: expected calibration error and top-decile resolution. The one with the lowest error among those
    that keep the top decile resolved (≥ 0.99) wins (else the lowest error), refitted on the whole window."""
    from training.metrics import expected_calibration_error

    scores: dict[str, float] = {}
    chosen = "platt"
    if dates is not None and len(np.unique(dates)) >= 2:
        cut = np.sort(np.unique(dates))[len(np.unique(dates)) // 2]
        early, late = dates < cut, dates >= cut
        if len(np.unique(y[early])) == 2 and late.any():
            ranked = []
            for name, fit in CALIBRATORS.items():
                table = fit(margin[early], y[early])
                ece = expected_calibration_error(y[late], np.interp(margin[late], *table))
                resolution = top_decile_resolution(margin[late], table)
                scores[f"calibration_{name}_heldout_ece"] = ece
                scores[f"calibration_{name}_top_decile_resolution"] = resolution
                ranked.append((resolution < 0.99, ece, name))
            chosen = min(ranked)[2]
    return chosen, CALIBRATORS[chosen](margin, y), scores


def reference_medians(cohort: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    """Indicator medians overall ("*") and per age group, the references shown beside each reason."""
    overall = cohort[inputs].median(numeric_only=False).to_frame(ALL_AGES).T
    if "age_group" in cohort and cohort["age_group"].notna().any():
        by_age = cohort.groupby(cohort["age_group"].astype(str), observed=True)[inputs].median()
        overall = pd.concat([overall, by_age])
    return overall.astype("float64")


def indicator_meta(spec: FeatureSpec) -> dict[str, dict[str, Any]]:
    """What `model_meta.json` says of each input (shouhu_core.model_contract.IndicatorMeta): labels, family,
    unit, direction and how its value reads to a person, so pages explain the model's own indicators."""
    undisplayed = spec.undisplayed()
    if undisplayed:
        raise ValueError(
            f"spec {spec.version}: indicators without `display` (how a value reads): {', '.join(undisplayed)}"
        )
    return {
        i.name: {
            "label_zh": i.label_zh,
            "family": i.family,
            "family_zh": spec.families.get(i.family, i.family),
            "unit": i.unit,
            "direction": i.direction,
            "display": i.display,
            **({"codes": {str(k): v for k, v in i.codes.items()}} if i.codes else {}),
        }
        for i in spec.indicators
    }


def build_parts(
    booster: lgb.Booster,
    calibration: tuple[np.ndarray, np.ndarray],
    reference_cohort: pd.DataFrame,
    spec: FeatureSpec,
    top_k: int = 3,
    bands: tuple[tuple[str, float], ...] = DEFAULT_BANDS,
    extra: dict[str, Any] | None = None,
) -> ModelParts:
    inputs = spec.model_inputs()
    x = as_matrix(reference_cohort, inputs)
    margin = booster.predict(x, raw_score=True)
    return ModelParts(
        booster=booster,
        inputs=inputs,
        indicators=indicator_meta(spec),
        calibration_x=calibration[0],
        calibration_y=calibration[1],
        reference_quantiles=np.percentile(margin, QUANTILE_LEVELS),
        quantile_levels=QUANTILE_LEVELS,
        medians=reference_medians(reference_cohort, inputs),
        bands=bands,
        top_k=top_k,
        extra=dict(extra or {}),
        drift=drift.reference({n: x[:, i] for i, n in enumerate(inputs)}, margin),
    )


def fit_risk_model(
    fit_rows: pd.DataFrame,
    calibration_rows: pd.DataFrame,
    cohort: pd.DataFrame,
    spec: FeatureSpec,
    params: BoosterParams | None = None,
    label: str = "label",
    scheme: str = "detected",
) -> ModelParts:
    """Booster on `fit_rows` (fitted to what `scheme` makes of them, training.bias), calibration of its
    margin against `label` on the later `calibration_rows`, references from `cohort`."""
    from training.bias import target

    params = params or BoosterParams()
    inputs = spec.model_inputs()
    constraints = monotone_constraints(inputs, spec.directions())
    fitted = target(fit_rows, scheme) if scheme != "detected" else None
    y = fitted.label if fitted else fit_rows[label].to_numpy()
    booster = fit_booster(
        as_matrix(fit_rows, inputs),
        y.astype("float64"),
        inputs,
        constraints,
        params,
        weight=fitted.weight if fitted else None,
    )
    cal_margin = booster.predict(as_matrix(calibration_rows, inputs), raw_score=True)
    dates = calibration_rows["as_of"].to_numpy() if "as_of" in calibration_rows else None
    method, calibration, scores = choose_calibration(
        cal_margin, calibration_rows[label].to_numpy(dtype="float64"), dates
    )
    scores = {k: v for k, v in scores.items() if np.isfinite(v)}
    extra = {"calibration_method": method, "label_scheme": scheme, **scores}
    return build_parts(booster, calibration, cohort, spec, extra=extra)
