"""The Shouhu risk model as one MLflow pyfunc (docs/architecture.md §4).

This file is logged with the model as "model code". Besides numpy, pandas, lightgbm and mlflow it imports
only `shouhu_core.model_contract` (the output contract, defined once), which the model declares as its code
(`code_paths`, copied into the model's `code/` folder and put on `sys.path` by MLflow when it loads): never
`training`, `features` or anything else of the project, so serving and any `mlflow.pyfunc.load_model` user
get the same behaviour without the training code. Everything `predict` needs is read from the artifacts:

- `booster.txt`      the LightGBM booster (margins and exact TreeSHAP contributions via `pred_contrib`);
- `model_meta.json`  inputs, indicator labels/families/units, isotonic calibration map, band cut-offs, top-k;
- `reference.parquet` the reference cohort's margin quantiles (for percentiles) and indicator medians
                      (overall and by age group) shown beside each reason;
- `feature_spec.yaml`, `model_card.md`  documentation travelling with the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import mlflow.models
import mlflow.pyfunc
import numpy as np
import pandas as pd

from shouhu_core.model_contract import (
    BOOSTER,
    CARD,
    CONTRACT_VERSION,
    DRIFT,
    META,
    OUTPUT_COLUMNS,
    REFERENCE,
    SPEC,
    IndicatorMeta,
    encode_reasons,
    reason_head,
)

__all__ = ["BOOSTER", "CARD", "META", "OUTPUT_COLUMNS", "REFERENCE", "SPEC", "ModelParts", "ShouhuRiskModel"]

# Bands on the percentile within the reference cohort. High bands are rare on purpose (DOMAIN.md §1.8:
# real tier distributions are heavily skewed to low risk): red = top 2 %, orange next 8 %, yellow next 20 %.
DEFAULT_BANDS: tuple[tuple[str, float], ...] = (
    ("red", 98.0),
    ("orange", 90.0),
    ("yellow", 70.0),
    ("green", 0.0),
)
ALL_AGES = "*"


@dataclass
class ModelParts:
    """What `predict` needs, in memory. Built from artifacts (`load_parts`) or directly by training."""

    booster: lgb.Booster
    inputs: list[str]
    indicators: dict[str, dict[str, Any]]  # name -> model_contract.IndicatorMeta fields
    calibration_x: np.ndarray  # isotonic map margin -> probability (sorted thresholds)
    calibration_y: np.ndarray
    reference_quantiles: np.ndarray  # margin quantiles of the reference cohort, at `quantile_levels`
    quantile_levels: np.ndarray  # 0..100
    medians: pd.DataFrame  # index: age group ("*" = everyone), columns: inputs
    bands: tuple[tuple[str, float], ...] = DEFAULT_BANDS
    top_k: int = 3
    extra: dict[str, Any] = field(default_factory=dict)
    drift: dict[str, Any] | None = None  # shouhu_core.drift.reference of the cohort (for monitoring)


def save_parts(parts: ModelParts, folder: Path) -> dict[str, str]:
    """Write the artifacts `load_parts` reads; returns {artifact name: path} for `mlflow.pyfunc.log_model`."""
    folder.mkdir(parents=True, exist_ok=True)
    parts.booster.save_model(str(folder / BOOSTER))
    meta = {
        "contract_version": CONTRACT_VERSION,
        "inputs": parts.inputs,
        "indicators": parts.indicators,
        "calibration": {"x": parts.calibration_x.tolist(), "y": parts.calibration_y.tolist()},
        "bands": [list(b) for b in parts.bands],
        "top_k": parts.top_k,
        **parts.extra,
    }
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    quantiles = pd.DataFrame(
        {
            "statistic": "margin_quantile",
            "group": ALL_AGES,
            "name": [f"{q:g}" for q in parts.quantile_levels],
            "value": parts.reference_quantiles.astype("float64"),
        }
    )
    medians = (
        parts.medians.rename_axis("group")
        .reset_index()
        .melt(id_vars="group", var_name="name", value_name="value")
    )
    medians.insert(0, "statistic", "median")
    reference = pd.concat([quantiles, medians], ignore_index=True)
    reference["group"] = reference["group"].astype(str)
    reference["value"] = reference["value"].astype("float64")
    reference.to_parquet(folder / REFERENCE, index=False)
    names = [BOOSTER, META, REFERENCE]
    if parts.drift is not None:
        (folder / DRIFT).write_text(json.dumps(parts.drift), encoding="utf-8")
        names.append(DRIFT)
    return {name: str(folder / name) for name in names}


def load_parts(artifacts: dict[str, str]) -> ModelParts:
    meta = json.loads(Path(artifacts[META]).read_text(encoding="utf-8"))
    booster = lgb.Booster(model_file=artifacts[BOOSTER])
    reference = pd.read_parquet(artifacts[REFERENCE])
    q = reference[reference["statistic"] == "margin_quantile"]
    med = reference[reference["statistic"] == "median"].pivot(index="group", columns="name", values="value")
    inputs = list(meta["inputs"])
    known = {"inputs", "indicators", "calibration", "bands", "top_k", "contract_version"}
    return ModelParts(
        booster=booster,
        inputs=inputs,
        indicators=meta["indicators"],
        calibration_x=np.asarray(meta["calibration"]["x"], dtype="float64"),
        calibration_y=np.asarray(meta["calibration"]["y"], dtype="float64"),
        reference_quantiles=q["value"].to_numpy(dtype="float64"),
        quantile_levels=q["name"].astype("float64").to_numpy(),
        medians=med.reindex(columns=inputs),
        bands=tuple((str(name), float(cut)) for name, cut in meta["bands"]),
        top_k=int(meta["top_k"]),
        extra={k: v for k, v in meta.items() if k not in known},
    )


def input_matrix(df: pd.DataFrame, inputs: list[str]) -> np.ndarray:
    missing = [c for c in inputs if c not in df.columns]
    if missing:
        raise ValueError(f"input is missing model inputs: {missing}")
    return df[inputs].to_numpy(dtype="float64", na_value=np.nan)


def calibrate(margin: np.ndarray, parts: ModelParts) -> np.ndarray:
    # Isotonic map, applied the way sklearn's IsotonicRegression(out_of_bounds="clip") does.
    return np.interp(margin, parts.calibration_x, parts.calibration_y)


def percentile(margin: np.ndarray, parts: ModelParts) -> np.ndarray:
    return np.clip(np.interp(margin, parts.reference_quantiles, parts.quantile_levels), 0.0, 100.0)


def band(pct: np.ndarray, bands: tuple[tuple[str, float], ...]) -> np.ndarray:
    out = np.full(pct.shape, bands[-1][0], dtype=object)
    for name, cut in reversed(bands[:-1]):  # most severe band last, so it wins
        out[pct >= cut] = name
    return out


def _reason_heads(parts: ModelParts) -> list[dict[str, Any]]:
    """The indicator part of each input's reason (model_contract.reason_head), built once per call."""
    return [reason_head(name, IndicatorMeta.model_validate(parts.indicators[name])) for name in parts.inputs]


def family_sums(contrib: np.ndarray, parts: ModelParts) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(families in spec order, membership matrix inputs × families, per-row family sums of contributions)."""
    families = [parts.indicators[name]["family"] for name in parts.inputs]
    names = list(dict.fromkeys(families))
    member = (np.asarray(families)[:, None] == np.asarray(names)[None, :]).astype("float64")
    return names, member, contrib @ member


def _ranked(
    sums: np.ndarray, pick: np.ndarray, k: int, raising: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k families with the largest positive (or most negative) sums per row: (family, indicator, keep)."""
    order = np.argsort(-sums if raising else sums, axis=1, kind="stable")[:, :k]
    ranked = np.take_along_axis(sums, order, axis=1)
    keep = ranked > 0.0 if raising else ranked < 0.0
    return order, np.take_along_axis(pick, order, axis=1), keep


def explanations(
    contrib: np.ndarray, values: np.ndarray, references: np.ndarray, parts: ModelParts
) -> tuple[list[str], list[str]]:
    """Per row, two JSON lists of at most k indicator families each, from the exact TreeSHAP contributions
    summed per family (a family's indicators share information, e.g. three windows of the same absences, so
    only their sum says how much that kind of evidence moved the score):

    - `reasons`: families whose sum raises the risk, largest first;
    - `protective_reasons`: families whose sum lowers it, most negative first.

    Each item names the family's strongest indicator in that direction (its value, the reference median and
    `indicator_contribution`); `contribution` is the family's sum. Vectorized over rows; only the reasons'
    dicts and their JSON text are built per row (model_contract.encode_reasons: data, never spliced text)."""
    n = contrib.shape[0]
    _, member, sums = family_sums(contrib, parts)
    # the strongest indicator of each family in each direction, searched within the family's columns
    inside = member.T.astype(bool)  # families × inputs
    up = np.empty(sums.shape, dtype=np.int64)
    down = np.empty(sums.shape, dtype=np.int64)
    for f, mask in enumerate(inside):
        cols = np.flatnonzero(mask)
        block = contrib[:, cols]
        up[:, f] = cols[block.argmax(axis=1)]
        down[:, f] = cols[block.argmin(axis=1)]
    k = min(parts.top_k, sums.shape[1])
    heads = _reason_heads(parts)
    rows = np.arange(n)[:, None]

    def render(raising: bool) -> list[str]:
        fam, col, keep = _ranked(sums, up if raising else down, k, raising)
        width = col.shape[1]
        # whole arrays to flat Python lists once (flat: no per-row list objects for the cyclic GC to walk);
        # per row only the reasons' dicts and their JSON are built
        total = np.round(np.take_along_axis(sums, fam, axis=1), 4).ravel().tolist()
        own = np.round(contrib[rows, col], 4).ravel().tolist()
        value = np.round(values[rows, col], 4).ravel().tolist()
        ref = np.round(references[rows, col], 4).ravel().tolist()
        cols, kept = col.ravel().tolist(), keep.ravel().tolist()
        return [
            encode_reasons(
                [
                    {
                        **heads[cols[at]],
                        "value": value[at],
                        "reference": ref[at],
                        "contribution": total[at],
                        "indicator_contribution": own[at],
                    }
                    for at in range(i * width, (i + 1) * width)
                    if kept[at]
                ]
            )
            for i in range(n)
        ]

    return render(True), render(False)


def reference_values(df: pd.DataFrame, parts: ModelParts) -> np.ndarray:
    """Indicator medians of the reference cohort, of the child's own age group when it is known."""
    overall = parts.medians.loc[ALL_AGES].to_numpy(dtype="float64")
    if "age_group" not in df.columns or len(parts.medians) == 1:
        return np.broadcast_to(overall, (len(df), len(parts.inputs)))
    by_age = parts.medians.to_numpy(dtype="float64")
    pos = parts.medians.index.get_indexer(
        df["age_group"].astype("string").fillna(ALL_AGES).to_numpy(dtype=object)
    )
    pos = np.where(pos < 0, parts.medians.index.get_loc(ALL_AGES), pos)
    ref = by_age[pos]
    return np.where(np.isnan(ref), overall, ref)


def score_frame(df: pd.DataFrame, parts: ModelParts, explain: bool = True) -> pd.DataFrame:
    """The §4 output, row for row with `df`."""
    x = input_matrix(df, parts.inputs)
    if explain:
        contrib = parts.booster.predict(x, pred_contrib=True)
        margin = contrib.sum(axis=1)
    else:
        margin = parts.booster.predict(x, raw_score=True)
    pct = percentile(margin, parts)
    out = pd.DataFrame(
        {
            "probability": calibrate(margin, parts),
            "percentile": pct,
            "band": pd.array(band(pct, parts.bands), dtype="string"),
            "margin": margin,
        },
        index=df.index,
    )
    if explain:
        raising, lowering = explanations(contrib[:, :-1], x, reference_values(df, parts), parts)
        out["reasons"] = pd.array(raising, dtype="string")
        out["protective_reasons"] = pd.array(lowering, dtype="string")
    else:
        out["reasons"] = pd.array([None] * len(df), dtype="string")
        out["protective_reasons"] = pd.array([None] * len(df), dtype="string")
    return out


class ShouhuRiskModel(mlflow.pyfunc.PythonModel):
    """`training.pyfunc.ShouhuRiskModel`: calibrated probability, percentile, band, margin, the reasons that
    raise the score and those that lower it."""

    def __init__(self, parts: ModelParts | None = None) -> None:
        self.parts = parts

    def load_context(self, context: Any) -> None:
        self.parts = load_parts(context.artifacts)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if self.parts is None:
            raise RuntimeError("model artifacts are not loaded")
        explain = True if params is None else bool(params.get("explain", True))
        return score_frame(pd.DataFrame(model_input), self.parts, explain=explain)


# MLflow executes this file as a module named `code_model_<uuid>` when it loads the model ("models from
# code"); only then does the file register the model object. Imported normally, it does nothing.
if __name__.startswith("code_model_"):
    mlflow.models.set_model(ShouhuRiskModel())
