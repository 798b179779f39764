"""The model policy in closed loop, end to end (real ingest, features, LightGBM, MLflow registry, pyfunc): it
never reads the truth, and rule-flagged children come first on its lists."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation.config import SimulationConfig
from simulation.policies_model import ModelPolicy, model_context
from simulation.policy_eval import run_arm

pytestmark = pytest.mark.slow


class ReadOnlyForbidden(list):
    """A truth list the engine may append to but nobody may read while the model policy works."""

    def _refuse(self, *_a: Any, **_k: Any) -> Any:
        raise AssertionError("the model policy read the simulation's truth")

    __iter__ = __getitem__ = __len__ = __bool__ = __copy__ = _refuse  # type: ignore[assignment]


@pytest.fixture(scope="module")
def model_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("model-policy")
    ctx = model_context(work, f"sqlite:///{work / 'mlflow.db'}", work / "mlruns")
    seen: dict[str, Any] = {"picks": [], "opened": [], "ctx": ctx}

    class Watched(ModelPolicy):
        def bind(self, state: Any) -> None:
            super().bind(state)
            state.rec.truth_risk = ReadOnlyForbidden(state.rec.truth_risk)
            state.rec.outcomes = ReadOnlyForbidden(state.rec.outcomes)

        def _cycle(self, day: int) -> None:
            super()._cycle(day)
            seen["cycles"] = seen.get("cycles", 0) + 1
            seen.setdefault("trained_days", set()).add(self.trained_day)

        def __call__(self, today: date, view: Any) -> np.ndarray:
            pick = super().__call__(today, view)
            if self.cycle_day >= 0:
                seen["picks"].append(
                    (self.flagged[view.children].copy(), view, pick, self.flagged[pick].copy())
                )
            return pick

    def audit(event: str, args: tuple) -> None:
        if event == "open" and args and isinstance(args[0], str | Path) and "truth" in Path(args[0]).parts:
            seen["opened"].append(str(args[0]))

    sys.addaudithook(audit)
    config = SimulationConfig(
        townships=1, villages=3, children=300, start=date(2023, 1, 1), end=date(2024, 3, 31), seed=4
    )

    def truth_reader(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the model policy asked the features for the truth")

    import features.pipeline

    saved = features.pipeline.truth_frames
    features.pipeline.truth_frames = truth_reader
    try:
        # retrained after two months: the cycles before and after a retraining are both watched
        seen["arm"] = run_arm(config, "model", lambda c: Watched(ctx, c, retrain_every_days=59), 365)
    finally:
        features.pipeline.truth_frames = saved
    return seen


def test_the_model_policy_never_reads_the_truth(model_run: dict[str, Any]) -> None:
    assert model_run["cycles"] >= 3  # Jan, Feb, Mar (and any sweep) after a year of burn-in
    assert model_run["opened"] == []
    assert model_run["arm"].measures["serious_true"] > 0


def test_rule_flagged_children_are_visited_first_under_the_model_policy(model_run: dict[str, Any]) -> None:
    flagged_picks = 0
    for flagged_all, view, pick, flagged_pick in model_run["picks"]:
        assert len(pick) <= view.capacity
        # a flagged child never comes after an unflagged one on the week's pick
        if flagged_pick.any() and not flagged_pick.all():
            assert flagged_pick[: flagged_pick.sum()].all()
        # and when fewer are flagged than there is capacity for, every flagged child is picked
        if flagged_all.sum() <= view.capacity:
            assert flagged_pick.sum() == flagged_all.sum()
        flagged_picks += int(flagged_pick.sum())
    assert flagged_picks > 0, "no rule-flagged child in the test county: the test would prove nothing"


def test_the_retrained_model_policy_is_trained_again_on_the_records_its_lists_shaped(
    model_run: dict[str, Any],
) -> None:
    from mlflow import MlflowClient

    # trained at the end of the burn-in (2024-01-01, day 365), again on 2024-03-01 (day 425)
    assert model_run["trained_days"] == {365, 425}
    client = MlflowClient(model_run["ctx"].tracking_uri)
    versions = client.search_model_versions(f"name='{model_run['ctx'].model_name}'")
    assert len(versions) == 2
