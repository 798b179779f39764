"""The registry's rules on a real MLflow store (sqlite + artifacts in a temporary folder): a weak model and a
good one are trained on the same county; the gates, aliases, history and rollback are checked on them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from features.spec import DEFAULT_SPEC, load_spec
from training import registry
from training.pipeline import TrainConfig, train_and_evaluate
from training.tracking import HISTORY_TAG, log_run

NAME = "shouhu-risk"


def _register(matrix, spec, spec_path: Path, uri: str, root: Path) -> str:
    result = train_and_evaluate(
        matrix, spec, TrainConfig(k=10, n_folds=1, with_logreg=False, min_positives=10)
    )
    run = log_run(
        result, spec, spec_path, tracking_uri=uri, artifact_root=root, model_name=NAME, horizon_days=90, k=10
    )
    return run.version


@pytest.fixture(scope="module")
def store(tmp_path_factory, factories):
    """v1: a weak model that sees only the season (no signal); v2: the full spec. Same county, same window.
    Children with a disability carry risk no indicator shows, so v2 misses more of them (a real disparity)."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri, root = f"sqlite:///{folder / 'mlflow.db'}", folder / "mlruns"
    matrix = factories.make_matrix(n_children=700, disability_effect=2.5, seed=3)
    spec = load_spec()
    weak = spec.model_copy(update={"indicators": tuple(i for i in spec.indicators if i.family == "season")})
    weak_path = folder / "season_only.yaml"
    weak_path.write_text(yaml.safe_dump(weak.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    v1 = _register(matrix, weak, weak_path, uri, root)
    first_registered = registry.champion_version(uri, NAME), registry.challenger_version(uri, NAME)
    v2 = _register(matrix, spec, DEFAULT_SPEC, uri, root)
    second_registered = registry.champion_version(uri, NAME), registry.challenger_version(uri, NAME)
    return {
        "uri": uri,
        "root": root,
        "weak": v1,
        "good": v2,
        "folder": folder,
        # (champion, challenger) right after each registration, before any test moves the aliases
        "aliases_after": [first_registered, second_registered],
    }


def _reset(store, champion: str, history: list[str]) -> None:
    c = registry.client(store["uri"])
    c.set_registered_model_alias(NAME, "champion", champion)
    c.set_registered_model_alias(NAME, "challenger", store["good"])
    c.set_registered_model_tag(NAME, HISTORY_TAG, json.dumps(history))
    for version in (store["weak"], store["good"]):
        for key in c.get_model_version(NAME, version).tags:
            if key.startswith("accepted_disparity_"):
                c.delete_model_version_tag(NAME, version, key)


def _accept_all(store) -> dict[str, str]:
    tags = registry.client(store["uri"]).get_model_version(NAME, store["good"]).tags
    return {
        k.removeprefix("fairness_verdict_"): "test: accepted on purpose"
        for k in tags
        if k.startswith("fairness_verdict_")
    }


def test_the_first_model_becomes_champion_and_the_next_only_challenger(store) -> None:
    assert store["aliases_after"] == [
        (store["weak"], store["weak"]),  # the first model is champion (and challenger) at once
        (store["weak"], store["good"]),  # the next one only challenger: the champion stays
    ]
    c = registry.client(store["uri"])
    first = c.get_model_version(NAME, store["weak"])
    second = c.get_model_version(NAME, store["good"])
    assert json.loads(c.get_registered_model(NAME).tags[HISTORY_TAG])[0] == store["weak"]
    for tag in ("spec_hash", "git_sha", "data_window", "precision_at_k", "ece", "run_id"):
        assert second.tags.get(tag), tag
    assert first.tags["spec_hash"] != second.tags["spec_hash"]


def test_promotion_accepts_a_better_challenger(store) -> None:
    _reset(store, store["weak"], [store["weak"]])
    result = registry.promote(store["good"], _accept_all(store), tracking_uri=store["uri"], model_name=NAME)
    assert result.promoted, [g.detail for g in result.failed]
    assert registry.champion_version(store["uri"], NAME) == store["good"]
    assert registry.champion_history(store["uri"], NAME) == [store["weak"], store["good"]]


def test_promotion_refuses_a_worse_challenger(store) -> None:
    _reset(store, store["good"], [store["weak"], store["good"]])
    result = registry.promote(store["weak"], tracking_uri=store["uri"], model_name=NAME)
    assert not result.promoted
    quality = next(g for g in result.gates if g.name == "quality")
    assert not quality.passed and "precision@k" in quality.detail
    assert registry.champion_version(store["uri"], NAME) == store["good"]


def test_rollback_restores_the_previous_champion(store) -> None:
    _reset(store, store["good"], [store["weak"], store["good"]])
    demoted, restored = registry.rollback(store["uri"], NAME)
    assert (demoted, restored) == (store["good"], store["weak"])
    assert registry.champion_version(store["uri"], NAME) == store["weak"]
    assert registry.champion_history(store["uri"], NAME) == [store["weak"]]
    with pytest.raises(ValueError, match="no previous champion"):
        registry.rollback(store["uri"], NAME)


def test_rollback_takes_the_challenger_alias_from_the_demoted_version(store) -> None:
    _reset(store, store["good"], [store["weak"], store["good"]])  # good is champion and challenger
    demoted, restored = registry.rollback(store["uri"], NAME)
    assert demoted == store["good"]
    assert registry.challenger_version(store["uri"], NAME) is None
    with pytest.raises(ValueError, match="no challenger"):
        registry.promote(tracking_uri=store["uri"], model_name=NAME)  # a plain promote cannot undo it
    assert registry.champion_version(store["uri"], NAME) == restored == store["weak"]


def test_every_promotion_attempt_leaves_its_gate_verdicts_on_the_version(store) -> None:
    c = registry.client(store["uri"])
    _reset(store, store["good"], [store["weak"], store["good"]])
    refused = registry.promote(store["weak"], tracking_uri=store["uri"], model_name=NAME)
    tags = c.get_model_version(NAME, store["weak"]).tags
    for gate in refused.gates:
        assert tags[f"gate_{gate.name}"] == ("PASS" if gate.passed else "FAIL")
        assert tags[f"gate_{gate.name}_detail"] == gate.detail
    assert tags["gate_quality"] == "FAIL" and "precision@k" in tags["gate_quality_detail"]
    assert tags["gates_checked_at"]

    _reset(store, store["weak"], [store["weak"]])
    accepted = registry.promote(store["good"], _accept_all(store), tracking_uri=store["uri"], model_name=NAME)
    assert accepted.promoted
    tags = c.get_model_version(NAME, store["good"]).tags
    assert {tags[f"gate_{g}"] for g in ("quality", "fairness", "calibration")} == {"PASS"}
    assert "recall ratio" in tags["gate_fairness_detail"]


def test_a_run_records_every_training_setting_and_a_snapshot_of_its_data(store) -> None:
    from mlflow import MlflowClient

    c = registry.client(store["uri"])
    version = c.get_model_version(NAME, store["good"])
    run = MlflowClient(tracking_uri=store["uri"]).get_run(version.tags["run_id"])
    params = run.data.params
    for name in (
        "lgb_seed",
        "lgb_min_child_samples",
        "lgb_subsample",
        "lgb_colsample_bytree",
        "lgb_reg_lambda",
        "lgb_n_estimators",
        "lgb_num_leaves",
        "n_folds",
        "test_dates",
        "calibration_dates",
        "min_positives",
        "rows_fit",
        "rows_test",
    ):
        assert name in params, name
    assert params["lgb_seed"] == "0" and params["test_dates"] == "3"
    snapshot = version.tags["data_snapshot"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", snapshot)
    assert run.data.tags["data_snapshot"] == snapshot
    # the weak model read the same matrix, so the same snapshot
    assert c.get_model_version(NAME, store["weak"]).tags["data_snapshot"] == snapshot
    assert "fairness_unjudged" in version.tags and "fairness_gated" in version.tags
    for metric in ("true_pr_auc", "true_roc_auc", "true_brier", "true_ece", "true_precision_at_k"):
        assert f"model_{metric}" in run.data.metrics, metric


def test_the_model_loads_in_a_fresh_process_without_the_training_code(store, county) -> None:
    rows = county[county["as_of"] == county["as_of"].max()].head(50)
    path = store["folder"] / "rows.parquet"
    rows.to_parquet(path)
    code = f"""
import json, sys
import mlflow, pandas as pd
mlflow.set_tracking_uri({store["uri"]!r})
model = mlflow.pyfunc.load_model("models:/{NAME}/{store["good"]}")
out = model.predict(pd.read_parquet({str(path)!r}))
leaked = [m for m in sys.modules if m.split('.')[0] in ('training', 'features', 'shouhu', 'serving')]
print(json.dumps({{"columns": list(out.columns), "n": len(out), "leaked": leaked,
                  "bands": sorted(set(out["band"])), "reasons": json.loads(out["reasons"].iloc[0])}}))
"""
    # run outside the project folder so nothing of the project is importable by accident
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=store["folder"],
        env={"PATH": "/usr/bin:/bin", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["columns"] == ["probability", "percentile", "band", "margin", "reasons", "protective_reasons"]
    assert out["n"] == 50 and out["leaked"] == []
    assert set(out["bands"]) <= {"red", "orange", "yellow", "green"}
    assert out["reasons"] and {"indicator", "value", "reference", "contribution"} <= set(out["reasons"][0])


def test_nothing_logged_holds_a_child_key_and_the_card_says_the_caseworker_decides(store) -> None:
    key = re.compile(rb"c_[0-9a-f]{16}")
    files = [p for p in Path(store["root"]).rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert not key.search(path.read_bytes()), path
    cards = [p for p in files if p.name == "model_card.md"]
    assert cards and all("评分仅供参考，由工作人员决定" in p.read_text(encoding="utf-8") for p in cards)
    names = {p.name for p in files}
    assert {
        "calibration.png",
        "pr_curve.png",
        "shap_beeswarm.png",
        "fairness.csv",
        "feature_spec.yaml",
        "reference.parquet",
        "booster.txt",
        "calibration_vs_truth.png",
        "calibration_model_vs_truth.csv",
        "lightgbm_params.json",
    } <= names
    example = next(p for p in files if p.name == "input_example.json").read_text(encoding="utf-8")
    columns = set(json.loads(example)["columns"])
    assert columns <= set(load_spec().model_inputs()) | {"age_group"}
