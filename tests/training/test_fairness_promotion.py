"""The fairness gate end to end on a real MLflow store: the project's own model on a county large enough to
judge passes without an accepted disparity; the same model with one group's scores pushed down (a planted
disparity, recall ratio ≈ 0.7) is refused until a reason is recorded.

A recall ratio of 0.7 is told apart from 0.8 only with about a thousand outcomes per group, so the county is
4,000 children with 6 test dates and a capacity of 300 per township (about 18 % of a township's children)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from features.spec import DEFAULT_SPEC, load_spec
from training import registry
from training.fairness_gate import OUTSIDE
from training.pipeline import TrainConfig, judge_fairness, train_and_evaluate
from training.tracking import log_run

NAME = "shouhu-fairness"
K = 300
pytestmark = pytest.mark.slow


def planted(result, k: int = K, target: float = 0.7):
    """`result` with the scores of the sex group that is not the reference lowered until its detected recall
    ratio is about `target` (bisection on the shift), judged again by the gate."""
    test, margin = result.test, result.test_scores["model"]
    group = next(j for j in result.judgement if j.attribute == "sex").checks[0].group
    is_group = (test["sex"] == group).to_numpy()

    def judged(shift: float):
        (sex, *_) = judge_fairness(test, margin - shift * is_group, k, seed=1)
        return sex, next(c for c in sex.checks if c.against == "detected")

    lo, hi = 0.0, 2.0
    for _ in range(12):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if judged(mid)[1].ratio > target else (lo, mid)
    sex, check = judged(hi)
    others = [j for j in result.judgement if j.attribute != "sex"]
    return dataclasses.replace(result, judgement=[sex, *others]), check


@pytest.fixture(scope="module")
def store(tmp_path_factory, factories):
    folder = tmp_path_factory.mktemp("mlflow")
    uri, root = f"sqlite:///{folder / 'mlflow.db'}", folder / "mlruns"
    matrix = factories.make_matrix(n_children=4000, seed=3)
    spec = load_spec()
    fair = train_and_evaluate(matrix, spec, TrainConfig(k=K, n_folds=1, with_logreg=False, test_dates=6))
    unfair, check = planted(fair)

    def register(result) -> str:
        run = log_run(
            result,
            spec,
            DEFAULT_SPEC,
            tracking_uri=uri,
            artifact_root=root,
            model_name=NAME,
            horizon_days=90,
            k=K,
        )
        return run.version

    first = register(fair)  # champion: the first model serves
    return {"uri": uri, "fair": register(fair), "unfair": register(unfair), "check": check, "first": first}


def test_the_projects_own_model_passes_the_fairness_gate_without_an_accepted_disparity(store) -> None:
    result = registry.promote(store["fair"], tracking_uri=store["uri"], model_name=NAME)
    fairness = next(g for g in result.gates if g.name == "fairness")
    assert fairness.passed, fairness.detail
    assert "accepted" not in fairness.detail and "no group outside" in fairness.detail


def test_a_planted_disparity_is_refused_until_a_reason_is_recorded(store) -> None:
    check = store["check"]
    assert abs(check.ratio - 0.7) < 0.05 and check.verdict == OUTSIDE and check.high < 0.8
    refused = registry.promote(store["unfair"], tracking_uri=store["uri"], model_name=NAME)
    fairness = next(g for g in refused.gates if g.name == "fairness")
    assert not refused.promoted and not fairness.passed
    assert f"sex={check.group} vs {check.reference}" in fairness.detail
    assert "recall ratio 0.7" in fairness.detail
    tags = registry.client(store["uri"]).get_model_version(NAME, store["unfair"]).tags
    assert tags["fairness_verdict_sex"] == "FAIL"
    assert np.isclose(float(tags["disparity_sex"]), check.ratio, atol=1e-3)
    accepted = registry.promote(
        store["unfair"], {"sex": "test: planted on purpose"}, tracking_uri=store["uri"], model_name=NAME
    )
    assert next(g for g in accepted.gates if g.name == "fairness").passed
