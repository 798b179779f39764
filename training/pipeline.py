"""One training run without I/O: split → fit model and baselines → evaluate → fairness → backtest.

`train_and_evaluate` takes the §3 feature matrix and the spec and returns everything a run logs; MLflow
logging lives in `training.tracking`, so this part is testable on a small frame in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from training import baselines, metrics
from training.bias import SCHEMES
from training.data import snapshot_hash
from training.fairness import fairness_report
from training.fairness_gate import Judgement, judge
from training.model import BoosterParams, as_matrix, fit_calibration, fit_risk_model
from training.pyfunc import ModelParts, calibrate
from training.splits import TemporalSplit, rolling_origin_splits

if TYPE_CHECKING:
    from features.spec import FeatureSpec

# Audit groups of the fairness report. None of them is a model input (features.spec.AUDIT_COLUMNS).
FAIRNESS_ATTRIBUTES = ("sex", "minority", "has_disability", "township_code")
MODELS = ("model", "tier_rule", "checklist", "three_term", "logreg")
# Rule-based baselines: a score from the row's indicators alone, calibrated on the calibration window.
RULE_BASELINES = {
    "tier_rule": baselines.tier_rule_score,
    "checklist": baselines.checklist_score,
    "three_term": baselines.three_term_score,
}
BASELINES = ("tier_rule", "checklist", "three_term", "logreg")


@dataclass(frozen=True)
class TrainConfig:
    horizon_days: int = 90
    k: int = 40  # visits per township per cycle
    n_folds: int = 3
    test_dates: int = 3
    calibration_dates: int = 3
    min_positives: int = 10  # the fairness table flags a group's rates only with this many positive labels
    top_k_reasons: int = 3
    params: BoosterParams = field(default_factory=BoosterParams)
    with_logreg: bool = True
    with_ceiling: bool = True  # simulated data: also train on the true outcome (the label's cost)
    label_scheme: str = "detected"  # what the booster is fitted to (training.bias.SCHEMES)

    def __post_init__(self) -> None:
        if self.label_scheme not in SCHEMES:
            raise ValueError(f"unknown label scheme {self.label_scheme!r} (one of {', '.join(SCHEMES)})")

    def as_params(self) -> dict[str, Any]:
        """Every setting of the run, flat (LightGBM's under `lgb_`), for MLflow params."""
        out = {k: v for k, v in asdict(self).items() if k != "params"}
        booster = asdict(self.params)
        extra = booster.pop("extra")
        out |= {f"lgb_{k}": v for k, v in booster.items()}
        out |= {f"lgb_extra_{k}": v for k, v in extra.items()}
        return out


@dataclass
class TrainResult:
    parts: ModelParts
    split: TemporalSplit
    metrics: dict[str, dict[str, float]]  # model name -> metric -> value (latest test window)
    fairness: pd.DataFrame
    disparities: dict[str, float]  # attribute -> recall ratio farthest from 1 among judged groups (detected)
    judgement: list[Judgement]  # per attribute: each group's recall ratio, interval and verdict
    backtest: pd.DataFrame  # one row per fold: window and precision@k of model and checklist
    calibration: dict[str, pd.DataFrame]  # model name -> calibration curve (vs the detected label)
    calibration_truth: dict[str, pd.DataFrame]  # model name -> calibration curve vs true outcomes (simulated)
    test: pd.DataFrame  # test rows with the model's scores (for plots and the promotion gate)
    test_scores: dict[str, np.ndarray]
    test_contrib: np.ndarray  # pred_contrib of a sample of test rows (for the SHAP beeswarm)
    test_sample: pd.DataFrame
    n_rows: dict[str, int]
    data_window: str
    config: TrainConfig = field(default_factory=TrainConfig)
    data_snapshot: str = ""  # content hash of the feature matrix the run read
    extra: dict[str, Any] = field(default_factory=dict)


def observable(matrix: pd.DataFrame) -> pd.DataFrame:
    """Rows whose label window is fully recorded: the only rows a model may learn from or be judged on."""
    return matrix[matrix["label_observable"].astype(bool)]


def reference_cohort(matrix: pd.DataFrame) -> pd.DataFrame:
    """The whole cohort at the latest as-of date: percentiles and medians are "within the county, now"."""
    return matrix[matrix["as_of"] == matrix["as_of"].max()]


def _baseline_prob(
    scorer: Callable[[pd.DataFrame], np.ndarray], frame_cal: pd.DataFrame, frame_test: pd.DataFrame
) -> np.ndarray:
    x, y = fit_calibration(scorer(frame_cal), frame_cal["label"].to_numpy(dtype="float64"))
    return np.interp(scorer(frame_test), x, y)


def add_lifts(results: dict[str, dict[str, float]]) -> None:
    """The model's precision over each baseline's, at capacity k and at the top 10 %, against the detected
    label and (prefixed `true_`) the true outcomes."""
    model = results["model"]
    for name in BASELINES:
        if name not in results:
            continue
        for prefix in ("", "true_"):
            for at in ("k", "10pct"):
                theirs = results[name].get(f"{prefix}precision_at_{at}")
                if theirs is None:
                    continue
                mine = model[f"{prefix}precision_at_{at}"]
                model[f"{prefix}lift_vs_{name}_at_{at}"] = mine / theirs if theirs else float("nan")


def ceiling_scores(
    fit: pd.DataFrame, cal: pd.DataFrame, test: pd.DataFrame, spec: FeatureSpec, config: TrainConfig
) -> dict[str, np.ndarray]:
    """On simulated data, what the label costs: the same features trained on the *true* outcome
    (`ceiling`), and the hidden risk itself (`oracle`). Empty without truth."""
    out: dict[str, np.ndarray] = {}
    if "true_risk" in test and test["true_risk"].notna().any():
        out["oracle"] = np.nan_to_num(test["true_risk"].to_numpy(dtype="float64"), nan=0.0)
    known_fit, known_cal = fit["true_label"].notna(), cal["true_label"].notna()
    if known_fit.any() and known_cal.any():
        fit_t = fit[known_fit].assign(label=lambda f: f["true_label"].astype("int64"))
        cal_t = cal[known_cal].assign(label=lambda f: f["true_label"].astype("int64"))
        if fit_t["label"].nunique() == 2 and cal_t["label"].nunique() == 2:
            parts = fit_risk_model(fit_t, cal_t, fit_t, spec, config.params)
            out["ceiling"] = parts.booster.predict(as_matrix(test, parts.inputs), raw_score=True)
    return out


def _score_model(parts: ModelParts, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    margin = parts.booster.predict(as_matrix(frame, parts.inputs), raw_score=True)
    return margin, calibrate(margin, parts)


# The fairness gate's list: at least the top 10 % of each township's list. At real capacity (k = 40 of a
# township's ~2,000 children, 2 %) a 20,000-child county's test window puts only a few dozen outcomes of a
# group on the list, and every interval is too wide to judge; the ranking that orders the capacity list is
# the one judged on its top 10 %.
GATE_SHARE = 0.10


def fairness_selections(frame: pd.DataFrame, score: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """The visit list the fairness gate judges: each township's top share of its list, the share being the
    larger of what capacity k covers and `GATE_SHARE`. Shared in proportion to each township's size (with a
    fixed k per township, a small township's recall is high because it is small, not because of the
    model)."""
    at_capacity = metrics.top_k_mask(frame, score, k)
    share = max(float(at_capacity.mean()) if len(frame) else 0.0, GATE_SHARE)
    if share >= 1.0:
        return {"*": np.ones(len(frame), dtype=bool)}
    return {"*": metrics.top_pct_mask(frame, score, share, scope="township")}


def judge_fairness(frame: pd.DataFrame, score: np.ndarray, k: int, seed: int = 0) -> list[Judgement]:
    """The fairness gate's judgement of `score` on `frame` (training.fairness_gate)."""
    return judge(frame, fairness_selections(frame, score, k), FAIRNESS_ATTRIBUTES, seed=seed)


def backtest(
    matrix: pd.DataFrame,
    splits: list[TemporalSplit],
    spec: FeatureSpec,
    config: TrainConfig,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Earlier origins: model and checklist precision@k on each fold's test window (the last fold is the run's
    own and is evaluated in full by `train_and_evaluate`)."""
    rows = []
    for split in splits:
        if progress:
            progress(f"backtest fold {split.window('test')}")
        fit = matrix[split.rows(matrix["as_of"], "fit")]
        cal = matrix[split.rows(matrix["as_of"], "calibration")]
        test = matrix[split.rows(matrix["as_of"], "test")]
        parts = fit_risk_model(fit, cal, fit, spec, config.params, scheme=config.label_scheme)
        margin, _ = _score_model(parts, test)
        model = metrics.ranking_metrics(test, margin, "label", config.k, pcts=(0.10,))
        check = metrics.ranking_metrics(
            test, baselines.checklist_score(test), "label", config.k, pcts=(0.10,)
        )
        rows.append(
            {
                "fit": split.window("fit"),
                "test": split.window("test"),
                "n_test": len(test),
                "model_precision_at_k": model["precision_at_k"],
                "checklist_precision_at_k": check["precision_at_k"],
                "model_precision_at_10pct": model["precision_at_10pct"],
                "checklist_precision_at_10pct": check["precision_at_10pct"],
            }
        )
    return pd.DataFrame(rows)


def train_and_evaluate(
    matrix: pd.DataFrame,
    spec: FeatureSpec,
    config: TrainConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    config = config or TrainConfig()
    say = progress or (lambda _msg: None)
    rows = observable(matrix)
    splits = rolling_origin_splits(
        rows["as_of"].unique(),
        config.horizon_days,
        config.n_folds,
        config.test_dates,
        config.calibration_dates,
    )
    split = splits[-1]
    fit = rows[split.rows(rows["as_of"], "fit")]
    cal = rows[split.rows(rows["as_of"], "calibration")]
    test = rows[split.rows(rows["as_of"], "test")].copy()
    if fit["label"].nunique() < 2 or cal["label"].nunique() < 2:
        raise ValueError("the fit and calibration windows each need both outcomes (0 and 1) to train")

    say(f"fitting LightGBM on {len(fit):,} rows ({split.window('fit')}, label scheme {config.label_scheme})")
    parts = fit_risk_model(
        fit, cal, reference_cohort(matrix), spec, config.params, scheme=config.label_scheme
    )
    parts.top_k = config.top_k_reasons
    margin, prob = _score_model(parts, test)
    scores: dict[str, np.ndarray] = {"model": margin}
    probs: dict[str, np.ndarray] = {"model": prob}

    say(f"tier rule baseline from the {baselines.tier_rule_source(test)} (training.baselines)")
    for name, scorer in RULE_BASELINES.items():
        scores[name] = scorer(test)
        probs[name] = _baseline_prob(scorer, cal, test)
    if config.with_logreg:
        say("fitting the logistic-regression baseline")
        logreg = baselines.logistic_baseline(config.params.seed)
        inputs = parts.inputs
        logreg.fit(as_matrix(fit, inputs), fit["label"].to_numpy())
        scores["logreg"] = probs["logreg"] = logreg.predict_proba(as_matrix(test, inputs))[:, 1]

    if config.with_ceiling and "true_label" in test and test["true_label"].notna().any():
        say("fitting the ceiling: the same features on the true outcome")
        for name, score in ceiling_scores(fit, cal, test, spec, config).items():
            scores[name], probs[name] = score, None
    say(f"evaluating on {len(test):,} rows ({split.window('test')})")
    results: dict[str, dict[str, float]] = {}
    curves: dict[str, pd.DataFrame] = {}
    curves_truth: dict[str, pd.DataFrame] = {}
    known = metrics.truth_rows(test)
    for name, score in scores.items():
        results[name] = metrics.evaluate(test, score, probs[name], config.k)
        results[name].update(metrics.oracle_ratios(test, score, config.k))
        results[name].update(metrics.detection_shares(test, metrics.top_k_mask(test, score, config.k)))
        if probs[name] is None:
            continue
        curves[name] = metrics.calibration_table(test["label"].to_numpy(), probs[name])
        if known is not None:
            curves_truth[name] = metrics.calibration_table(
                test.loc[known, "true_label"].to_numpy(), np.asarray(probs[name])[known]
            )
    add_lifts(results)

    selected = metrics.top_k_mask(test, margin, config.k)
    fairness = fairness_report(
        test, selected, FAIRNESS_ATTRIBUTES, score=prob, min_positives=config.min_positives
    )
    test["selected_at_k"] = selected

    say("backtesting earlier origins")
    history = backtest(rows, splits[:-1], spec, config, progress)
    own = {
        "fit": split.window("fit"),
        "test": split.window("test"),
        "n_test": len(test),
        "model_precision_at_k": results["model"]["precision_at_k"],
        "checklist_precision_at_k": results["checklist"]["precision_at_k"],
        "model_precision_at_10pct": results["model"]["precision_at_10pct"],
        "checklist_precision_at_10pct": results["checklist"]["precision_at_10pct"],
    }
    history = pd.concat([history, pd.DataFrame([own])], ignore_index=True)

    sample = test.sample(n=min(len(test), 2000), random_state=config.params.seed)
    contrib = parts.booster.predict(as_matrix(sample, parts.inputs), pred_contrib=True)
    say("judging fairness (bootstrap intervals)")
    judgement = judge_fairness(test, margin, config.k, config.params.seed)
    return TrainResult(
        parts=parts,
        split=split,
        metrics=results,
        fairness=fairness,
        disparities={j.attribute: w.ratio for j in judgement if (w := j.worst()) is not None},
        judgement=judgement,
        backtest=history,
        calibration=curves,
        calibration_truth=curves_truth,
        test=test,
        test_scores=scores,
        test_contrib=contrib,
        test_sample=sample,
        n_rows={"fit": len(fit), "calibration": len(cal), "test": len(test), "matrix": len(matrix)},
        data_window=f"{split.fit[0]:%Y-%m-%d}..{split.test[-1]:%Y-%m-%d}",
        config=config,
        # the hash of the feature matrix proper: the tier baseline's warehouse columns are not features
        data_snapshot=snapshot_hash(baselines.without_warehouse_tiers(matrix)),
        extra={"tier_rule_source": baselines.tier_rule_source(test)},
    )
