"""Label schemes against surveillance bias (training.bias) on hand-built examples, and training with each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.bias import (
    VISIT_FINDABLE_WEIGHT,
    WEIGHT_CLIP,
    detection_exposure,
    exposure_weights,
    target,
)
from training.pipeline import TrainConfig

TYPES = ("injury", "drowning", "unsupervised", "neglect", "abuse", "sexual_abuse", "self_harm", "missing")


def _rows(visits: int, findable: int, drowned: int, quiet: int) -> pd.DataFrame:
    """`findable` rows with a neglect outcome, `drowned` with a drowning, `quiet` with none; all with
    `visits` recorded visits in the last 90 days."""
    n = findable + drowned + quiet
    frame = pd.DataFrame({"visits_90d": [float(visits)] * n})
    for t in (*TYPES, "dropout"):
        frame[f"label_{t}"] = 0
    frame.loc[: findable - 1, "label_neglect"] = 1
    frame.loc[findable : findable + drowned - 1, "label_drowning"] = 1
    frame["label"] = frame[[f"label_{t}" for t in (*TYPES, "dropout")]].max(axis=1)
    return frame


def _exposed_county() -> pd.DataFrame:
    # never visited: 2 neglect, 2 drownings; visited 3+ times: 4 neglect, 1 drowning (recorded, not true)
    return pd.concat([_rows(0, 2, 2, 20), _rows(4, 4, 1, 20)], ignore_index=True)


def test_exposure_weights_follow_the_recorded_visit_ratio_worked_out_by_hand() -> None:
    frame = _exposed_county()
    relative = detection_exposure(frame)
    # one tier (no tier indicators): 3+ visits (4.5/1.5) over none (2.5/2.5) = 3; strata 1, 2 are empty
    assert relative.tolist() == pytest.approx([1.0, 1.0, 1.0, 3.0])
    weights = exposure_weights(frame)
    unvisited, visited = weights[:24], weights[24:]
    assert (unvisited == 1.0).all()
    positive = frame["label"].to_numpy()[24:] == 1
    assert visited[positive] == pytest.approx(1 / 3) and (visited[~positive] == 1.0).all()


def test_the_exposure_ratio_compares_visited_and_unvisited_children_of_the_same_tier() -> None:
    # red tier (an incident this year): findable outcomes common, visited or not; green tier: rare, and never
    # visited. Within the red tier visits change nothing, but the visited are all red.
    red = pd.concat([_rows(0, 6, 2, 20), _rows(4, 6, 2, 20)], ignore_index=True).assign(
        prior_incidents_365d=1
    )
    green = _rows(0, 2, 6, 20).assign(prior_incidents_365d=0)
    frame = pd.concat([red, green], ignore_index=True)
    assert detection_exposure(frame)[3] == pytest.approx(1.0)
    # pooled over tiers: (6.5 / 2.5) over (8.5 / 8.5), the tier rule's targeting taken for detection
    assert detection_exposure(frame, adjust_for_tier=False)[3] == pytest.approx(2.6)


def test_exposure_weights_never_read_the_truth() -> None:
    frame = _exposed_county()
    rng = np.random.default_rng(0)
    with_truth = frame.assign(true_label=rng.integers(0, 2, len(frame)), true_risk=rng.random(len(frame)))
    other_truth = frame.assign(true_label=1 - with_truth["true_label"], true_risk=1 - with_truth["true_risk"])
    assert np.array_equal(exposure_weights(with_truth), exposure_weights(other_truth))
    assert np.array_equal(exposure_weights(with_truth), exposure_weights(frame))


def test_exposure_weights_are_clipped() -> None:
    frame = pd.concat([_rows(0, 1, 30, 20), _rows(5, 60, 0, 20)], ignore_index=True)
    weights = exposure_weights(frame)
    assert weights.min() == WEIGHT_CLIP[0]


def test_the_visit_proof_label_counts_only_outcomes_no_visit_can_find() -> None:
    frame = _rows(0, 3, 2, 1)
    frame.loc[5, ["label_dropout", "label"]] = 1  # the quiet row drops out of school
    got = target(frame, "visit_proof")
    assert got.weight is None
    assert got.label.tolist() == [0, 0, 0, 1, 1, 1]


def test_type_weighted_weighs_down_rows_whose_outcomes_a_visit_could_have_found() -> None:
    frame = _rows(0, 2, 1, 2)
    frame.loc[0, "label_drowning"] = 1  # neglect and a drowning: a clinic would have reported it anyway
    got = target(frame, "type_weighted")
    assert got.label.tolist() == frame["label"].tolist()
    assert got.weight.tolist() == [1.0, VISIT_FINDABLE_WEIGHT, 1.0, 1.0, 1.0]


def test_the_default_scheme_is_the_detected_label_unweighted() -> None:
    frame = _exposed_county()
    got = target(frame, "detected")
    assert got.weight is None and np.array_equal(got.label, frame["label"].to_numpy())
    assert TrainConfig().label_scheme == "detected"


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown label scheme"):
        TrainConfig(label_scheme="true_label")


def test_each_scheme_trains_a_different_model_on_the_same_rows(county: pd.DataFrame) -> None:
    from features.spec import load_spec
    from training.pipeline import train_and_evaluate

    rng = np.random.default_rng(3)
    # the synthetic county records only injuries; some of its outcomes become drownings
    drowned = (county["label"] == 1) & (rng.random(len(county)) < 0.3)
    frame = county.assign(
        label_drowning=drowned.astype("int64"),
        label_injury=(county["label"] == 1) & ~drowned,
        **{f"label_{t}": 0 for t in ("missing", "dropout", "neglect")},
    )
    frame["label_injury"] = frame["label_injury"].astype("int64")
    margins = {}
    for scheme in ("detected", "visit_proof", "exposure_weighted"):
        config = TrainConfig(k=10, n_folds=1, with_logreg=False, with_ceiling=False, label_scheme=scheme)
        result = train_and_evaluate(frame, load_spec(), config)
        assert result.parts.extra["label_scheme"] == scheme
        # calibrated against the detected label whatever the booster learnt from
        assert result.test_scores["model"].size > 0 and np.isfinite(result.metrics["model"]["ece"])
        margins[scheme] = result.test_scores["model"]
    assert not np.allclose(margins["detected"], margins["visit_proof"])
    assert not np.allclose(margins["detected"], margins["exposure_weighted"])


@pytest.mark.slow
def test_shouhu_train_with_a_label_scheme_runs_on_a_simulated_county(ingested_county: Path) -> None:
    import mlflow
    from typer.testing import CliRunner

    from shouhu.cli import app
    from shouhu.settings import get_settings

    sim = ingested_county
    out = CliRunner().invoke(
        app, ["train", "--truth", str(sim / "truth"), "--label-scheme", "exposure_weighted"]
    )
    assert out.exit_code == 0, out.output
    assert "oracle_ratio" in out.output
    mlflow.set_tracking_uri(get_settings().mlflow_tracking_uri)
    (run,) = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert run.data.params["label_scheme"] == "exposure_weighted"
