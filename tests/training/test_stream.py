"""The matrix out of pandas: Parquet partitions by as-of date read as compact Arrow batches, negatives
subsampled with weights (calibration kept, against the full fit on the same county), and batch scoring
streamed in chunks into Parquet (the same scores as scoring in memory)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.spec import load_spec
from training.model import BoosterParams, monotone_constraints
from training.pipeline import observable
from training.stream import (
    AS_OF_DIR,
    calibrated_probability,
    fit_weighted,
    iter_rows,
    read_training,
    score_stream,
)


def _partitioned(matrix: pd.DataFrame, out: Path) -> Path:
    for day, part in matrix.groupby("as_of"):
        folder = out / AS_OF_DIR.format(pd.Timestamp(day))
        folder.mkdir(parents=True)
        part.drop(columns="as_of").to_parquet(folder / "part.parquet", index=False)
    return out


@pytest.fixture(scope="module")
def windows(factories, tmp_path_factory) -> dict[str, Path]:
    """A bigger synthetic county (3,000 children × 20 months), observable rows split by date into fit,
    calibration and test windows, each a partitioned matrix folder."""
    m = observable(factories.make_matrix(n_children=3000, months=20, seed=7))
    days = sorted(m["as_of"].unique())
    root = tmp_path_factory.mktemp("stream")
    spans = {"fit": days[:-6], "calibration": days[-6:-3], "test": days[-3:]}
    return {k: _partitioned(m[m["as_of"].isin(v)], root / k) for k, v in spans.items()}


def test_training_rows_are_read_as_float32_inputs_and_int8_labels(windows) -> None:
    inputs = load_spec().model_inputs()
    data = read_training(windows["fit"], inputs)
    assert data.X.dtypes.eq(np.float32).all() and data.y.dtype == np.int8
    assert data.negative_rate == 1.0 and len(data.y) == data.rows_read
    assert (data.weight == 1.0).all()


def test_subsampled_negatives_with_weights_keep_calibration_of_the_full_fit(windows) -> None:
    spec = load_spec()
    inputs = spec.model_inputs()
    constraints = monotone_constraints(inputs, spec.directions())
    params = BoosterParams(min_child_samples=50)
    full = read_training(windows["fit"], inputs)
    cap = len(full.y) // 4
    sub = read_training(windows["fit"], inputs, max_rows=cap, seed=1)
    assert sub.negative_rate < 0.3 and len(sub.y) < cap * 1.1
    assert sub.y.sum() == full.y.sum()  # every positive kept
    cal_full = read_training(windows["calibration"], inputs)
    cal_sub = read_training(windows["calibration"], inputs, max_rows=len(cal_full.y) // 4, seed=2)
    test = read_training(windows["test"], inputs)

    def judged(fit, cal):
        booster, calibration = fit_weighted(fit, cal, inputs, constraints, params)
        p = calibrated_probability(booster, calibration, test.X[inputs].to_numpy())
        return p.mean(), roc_auc_score(test.y, p), float(np.mean((p - test.y) ** 2))

    observed = test.y.mean()
    mean_full, auc_full, brier_full = judged(full, cal_full)
    mean_sub, auc_sub, brier_sub = judged(sub, cal_sub)
    # weighted: the mean probability stays at the observed rate, as the full fit's does
    assert abs(mean_full - observed) < 0.25 * observed
    assert abs(mean_sub - observed) < 0.25 * observed
    assert abs(auc_sub - auc_full) < 0.03 and brier_sub < brier_full * 1.05
    # without the weights the same subsample overstates every probability
    unweighted = [type(d)(**{**d.__dict__, "weight": np.ones_like(d.weight)}) for d in (sub, cal_sub)]
    mean_unweighted, _, _ = judged(*unweighted)
    assert mean_unweighted > 1.5 * observed


def test_streamed_scoring_writes_the_scores_of_in_memory_scoring(county, champion, tmp_path) -> None:
    from training.workflow import score

    day = county["as_of"].max()
    path = _partitioned(county, tmp_path / "matrix")
    frame = county[county["as_of"] == day].reset_index(drop=True)
    in_memory = score(frame, champion, "7")
    out = tmp_path / "scores.parquet"
    n = score_stream(iter_rows(path, day, chunk=97), champion, "7", out)  # many small, uneven chunks
    streamed = pd.read_parquet(out)
    assert n == len(frame) == len(streamed)
    key = ["child_key"]
    a = in_memory.sort_values(key).reset_index(drop=True)
    b = streamed.sort_values(key).reset_index(drop=True)[list(a.columns)]
    for c in ("probability", "percentile", "margin"):
        np.testing.assert_allclose(b[c].to_numpy(), a[c].to_numpy(), rtol=1e-12)
    assert (b["band"].astype(str) == a["band"].astype(str)).all()
    assert (b["reasons"] == a["reasons"]).all()
    assert (b["rank_in_village"].to_numpy() == a["rank_in_village"].to_numpy()).all()
