"""Scores for the cohort at an as-of date: the feature matrix (features.pipeline.build_matrix), built with the
champion's *own* indicator spec (its `feature_spec.yaml`, never the project's current one), scored by the
champion pyfunc, its reasons decoded through the output contract (shouhu_core.model_contract), and cached in
memory per (model version, as-of date, warehouse generation) so later requests for any scope of that date are
fast. A spec whose features cannot be built answers 503 (`FeaturesUnavailable`) and fails `/readyz`."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from serving import explain
from serving.champion import Champion, LoadedModel, ModelUnavailable
from serving.warehouse import Warehouse
from shouhu_core.model_contract import decode_reasons

if TYPE_CHECKING:
    from features.spec import FeatureSpec

SCORE_COLUMNS = [
    "child_key",
    "village_code",
    "township_code",
    "probability",
    "percentile",
    "margin",
    "band",
    "rule_flags",
    "reasons",
    "protective_reasons",
]
# (warehouse, as-of dates, the scoring model's own spec) -> §3 feature matrix
MatrixBuilder = Callable[[Path, list[pd.Timestamp], "FeatureSpec | None"], pd.DataFrame]


class FeaturesUnavailable(ModelUnavailable):
    """The champion's indicator spec cannot be built on this warehouse (answered 503, like no model)."""


def default_builder(
    warehouse: Path, as_of_dates: list[pd.Timestamp], spec: FeatureSpec | None = None
) -> pd.DataFrame:
    from features.pipeline import build_matrix

    return build_matrix(warehouse, as_of_dates, spec=spec)


def _reasons(cell: Any) -> list[dict[str, Any]] | None:
    """One output cell as stored with a list row: the contract's reasons, checked, as JSON-ready dicts."""
    reasons = decode_reasons(cell)
    return None if reasons is None else [r.model_dump(mode="json") for r in reasons]


def reading_context(
    matrix: pd.DataFrame, spec: FeatureSpec | None
) -> tuple[dict[str, tuple[np.ndarray, str]], dict[str, dict[float, float]]]:
    """What a reason needs to read well beyond its own value, from the scored cohort: for a share of records
    (e.g. visits that found neglect), the indicator counting all records of the same feed and window (so it
    reads "近一年6次走访中有4次…"); for a coded indicator, the share of children with each value (a median of
    codes means nothing). Totals come as one array per column, read by row position."""
    if spec is None:
        return {}, {}
    totals = [i for i in spec.indicators if i.aggregate == "count" and not i.where_any and i.per_days is None]
    of: dict[str, tuple[np.ndarray, str]] = {}
    shares: dict[str, dict[float, float]] = {}
    for i in spec.indicators:
        if i.aggregate == "share" and not i.denominator:
            total = next((t for t in totals if (t.source, t.window_days) == (i.source, i.window_days)), None)
            if total is not None and total.name in matrix.columns:
                column = pd.to_numeric(matrix[total.name], errors="coerce").to_numpy(dtype="float64")
                of[i.name] = (column, total.label_zh)
        if i.display == "code" and i.name in matrix.columns:
            counts = pd.to_numeric(matrix[i.name], errors="coerce").value_counts(normalize=True)
            shares[i.name] = {float(k): float(v) for k, v in counts.items()}
    return of, shares


def _with_context(
    reasons: list[dict[str, Any]] | None,
    row: int,
    of: dict[str, tuple[np.ndarray, str]],
    shares: dict[str, dict[float, float]],
) -> list[dict[str, Any]] | None:
    # the dicts are this row's own (just decoded): completed in place
    for r in reasons or ():
        name = r.get("indicator")
        if name in of:
            total = of[name][0][row]
            if total == total:  # not NaN
                r["of_count"], r["of_label"] = float(total), of[name][1]
        elif name in shares and r.get("value") is not None:
            r["share_same"] = shares[name].get(float(r["value"]))
    return reasons


def score_matrix(matrix: pd.DataFrame, model: Any, spec: FeatureSpec | None = None) -> pd.DataFrame:
    """The serving view of a scored matrix: scope columns, score, rule flags and parsed reasons, split into
    risk-raising `reasons` and `protective_reasons` (explain.split_reasons; a model without the
    `protective_reasons` output has its mixed reasons split by sign)."""
    if matrix.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SCORE_COLUMNS})
    predicted = model.predict(_model_inputs(matrix, model))
    protective = (
        predicted["protective_reasons"]
        if "protective_reasons" in predicted.columns
        else pd.Series([None] * len(predicted), index=predicted.index)
    )
    of, shares = reading_context(matrix, spec)
    split = [
        explain.split_reasons(
            _with_context(_reasons(r), i, of, shares),
            _with_context(_reasons(p), i, of, shares),
        )
        for i, (r, p) in enumerate(zip(predicted["reasons"], protective, strict=True))
    ]
    out = pd.DataFrame(
        {
            "child_key": matrix["child_key"].astype(str).to_numpy(),
            "village_code": matrix["village_code"].astype(str).to_numpy(),
            "township_code": matrix["township_code"].astype(str).to_numpy(),
            "probability": pd.to_numeric(predicted["probability"]).to_numpy(dtype="float64"),
            "percentile": pd.to_numeric(predicted["percentile"]).to_numpy(dtype="float64"),
            "margin": pd.to_numeric(predicted["margin"]).to_numpy(dtype="float64"),
            "band": predicted["band"].astype(str).to_numpy(),
            "rule_flags": matrix["rule_flags"].fillna("").astype(str).to_numpy(),
            "reasons": [raising for raising, _ in split],
            "protective_reasons": [lowering for _, lowering in split],
        }
    )
    return out


def _model_inputs(matrix: pd.DataFrame, model: Any) -> pd.DataFrame:
    """Only the columns the model's signature names: the matrix also holds keys, audit groups and labels,
    which the model ignores anyway but MLflow would warn about on every scoring."""
    metadata = getattr(model, "metadata", None)
    schema = metadata.get_input_schema() if metadata is not None else None
    if schema is None:
        return matrix
    return matrix[[c for c in schema.input_names() if c in matrix.columns]]


class Scorer:
    def __init__(
        self,
        warehouse: Warehouse,
        champion: Champion,
        builder: MatrixBuilder | None = None,
        max_entries: int = 8,
    ) -> None:
        self.warehouse = warehouse
        self.champion = champion
        self.builder = builder or default_builder
        self.max_entries = max_entries
        self._cache: OrderedDict[tuple[str, dt.date, int], pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, dt.date, int], threading.Lock] = {}
        self.hits = 0
        self.misses = 0
        self._verdicts: dict[tuple[str, int], str | None] = {}  # (version, generation) -> features problem

    def scores(self, model: LoadedModel, as_of: dt.date) -> pd.DataFrame:
        self.warehouse.cursor()  # notices a replaced warehouse file (bumps generation)
        key = (model.version, as_of, self.warehouse.generation)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.hits += 1
                return self._cache[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key even when many requests arrive together
            with self._lock:
                if key in self._cache:
                    self.hits += 1
                    return self._cache[key]
            self.misses += 1
            try:  # the model's own spec: a model always receives the inputs it was trained on
                matrix = self.builder(self.warehouse.path, [pd.Timestamp(as_of)], model.spec)
            except Exception as exc:
                with self._lock:
                    self._key_locks.pop(key, None)
                raise FeaturesUnavailable(cannot_build(model, exc)) from exc
            scored = score_matrix(matrix, model.model, model.spec)
            with self._lock:
                self._cache[key] = scored
                while len(self._cache) > self.max_entries:
                    self._cache.popitem(last=False)
                self._key_locks.pop(key, None)
            return scored

    def features_problem(self, model: LoadedModel) -> str | None:
        """Why features cannot be built for `model` on this warehouse, or None when they can: the cohort at
        the warehouse's latest date is built and scored once per (model version, warehouse generation), which
        also warms the cache for the first list of that date."""
        self.warehouse.cursor()
        key = (model.version, self.warehouse.generation)
        if key in self._verdicts:
            return self._verdicts[key]
        latest = self.warehouse.latest_date()
        problem: str | None = None
        if latest is None:
            problem = "the warehouse holds no records yet"
        else:
            try:
                self.scores(model, latest)
            except FeaturesUnavailable as exc:
                problem = str(exc)
        self._verdicts[key] = problem
        return problem


def cannot_build(model: LoadedModel, exc: Exception) -> str:
    spec = model.spec
    which = f"spec {spec.version}, sha256 {spec.hash[:12]}" if spec is not None else "no spec"
    reason = " ".join(str(exc).split())[:300]
    return f"features cannot be built for champion v{model.version} ({which}): {type(exc).__name__}: {reason}"
