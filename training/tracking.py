"""Logging a training run to MLflow and registering the model (docs/architecture.md §4).

Everything logged is aggregate or pseudonymous: metrics, plots, the fairness table, the spec, the model card
and the test window's indicator values (no child keys) that the promotion gate re-scores. The input example is
built from cohort medians, so no single child's record travels with the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import shouhu_core
from shouhu_core.model_contract import CHALLENGER, CHAMPION, HISTORY_TAG
from training import model_card_zh, pyfunc, report
from training.fairness_gate import MAX_WIDTH, Judgement, checks_table
from training.pipeline import TrainResult

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from features.spec import FeatureSpec

__all__ = ["CHALLENGER", "CHAMPION", "HISTORY_TAG", "RegistryError", "log_run"]
TEST_WINDOW = "evaluation/test_window.parquet"
PYFUNC_SOURCE = Path(pyfunc.__file__)
# The model declares the shared contract package as its own code: MLflow copies it into the model's `code/`
# folder and puts that on sys.path when loading, so `training/pyfunc.py` finds `shouhu_core` anywhere.
MODEL_CODE = Path(shouhu_core.__file__).parent
GATE_TAGS = ("precision_at_k", "recall_at_k", "precision_at_10pct", "ece", "brier", "pr_auc")
UNJUDGED_TAG = "fairness_unjudged"
TAG_LIMIT = 4000  # characters; MLflow caps tag values (8,000 in MLflow 3) and the UI shows them whole


class RegistryError(RuntimeError):
    """The model registry could not be read or written; the message is one line naming what failed."""


def clip(text: str, limit: int = TAG_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 20] + " … (truncated)"


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    version: str
    aliases: tuple[str, ...]
    model_uri: str


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def git_sha(cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd or Path(__file__).parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd or Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def configure(tracking_uri: str, artifact_root: Path, experiment: str) -> str:
    """Point MLflow at the tracking store; the experiment keeps its artifacts under `artifact_root`."""
    import mlflow

    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    artifact_root.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(experiment, artifact_location=artifact_root.resolve().as_uri())


def model_signature(inputs: list[str]) -> Any:
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema(
            [ColSpec("double", name) for name in inputs] + [ColSpec("string", "age_group", required=False)]
        ),
        outputs=Schema(
            [
                ColSpec("double", "probability"),
                ColSpec("double", "percentile"),
                ColSpec("string", "band"),
                ColSpec("double", "margin"),
                ColSpec("string", "reasons"),
                ColSpec("string", "protective_reasons"),
            ]
        ),
        params=ParamSchema([ParamSpec("explain", "boolean", True)]),
    )


def input_example(parts: pyfunc.ModelParts) -> pd.DataFrame:
    """Indicator values only: the reference medians per age group, never a child's own record. Stored with
    the model as its reference example: serving scores it before a new version may replace the old one."""
    medians = parts.medians.drop(index=pyfunc.ALL_AGES, errors="ignore")
    if medians.empty:
        medians = parts.medians
    example = medians.head(3).reset_index(drop=True).astype("float64")
    example["age_group"] = medians.head(3).index.astype(str)
    return example


def pip_requirements() -> list[str]:
    from importlib.metadata import version

    # pydantic: the contract's reason model (shouhu_core.model_contract); mlflow depends on it anyway
    return [f"{p}=={version(p)}" for p in ("mlflow", "lightgbm", "numpy", "pandas", "pyarrow", "pydantic")]


def fairness_tags(judgement: list[Judgement]) -> dict[str, str]:
    """What the fairness gate reads: `fairness_verdict_<attribute>` (FAIL / PASS / TOO FEW), the worst group
    with its interval (`fairness_worst_<attribute>`), `disparity_<attribute>` (that ratio, for display) and
    every group too small to judge."""
    tags = {
        "fairness_gated": (
            "recall ratio per group with a 95% bootstrap interval; fails when the interval and the point lie "
            f"outside 0.8–1.25; too few to judge when upper/lower > {MAX_WIDTH:g}; on the top 10% of each "
            "township's list (or capacity, if larger)"
        )
    }
    for j in judgement:
        tags[f"fairness_verdict_{j.attribute}"] = j.verdict
        tags[f"fairness_worst_{j.attribute}"] = clip(j.describe(), 1000)
        worst = j.worst()
        if worst is not None:
            tags[f"disparity_{j.attribute}"] = f"{worst.ratio:.4f}"
    unjudged = [f"{j.attribute}={item}" for j in judgement for item in j.unjudged]
    tags[UNJUDGED_TAG] = clip("; ".join(unjudged)) if unjudged else "none"
    return tags


def version_tags(
    result: TrainResult, spec: FeatureSpec, sha: str, horizon_days: int, k: int
) -> dict[str, str]:
    m = result.metrics["model"]
    tags = {
        "spec_hash": spec.hash,
        "spec_version": spec.version,
        "git_sha": sha,
        "data_window": result.data_window,
        "data_snapshot": result.data_snapshot,
        "test_window": result.split.window("test"),
        "horizon_days": str(horizon_days),
        "k": str(k),
        "checklist_precision_at_k": f"{result.metrics['checklist']['precision_at_k']:.6f}",
    }
    tags |= {name: f"{m[name]:.6f}" for name in GATE_TAGS if name in m}
    return tags | fairness_tags(result.judgement)


def _flat_metrics(result: TrainResult) -> dict[str, float]:
    out = {}
    for model, values in result.metrics.items():
        for name, value in values.items():
            if value is not None and np.isfinite(value):
                out[f"{model}_{name}"] = float(value)
    for attr, ratio in result.disparities.items():
        out[f"disparity_{attr}"] = ratio
    return out


def test_window(test: pd.DataFrame) -> pd.DataFrame:
    """What the promotion gate re-scores with the champion: every indicator of the matrix (a champion built on
    another spec version needs its own inputs), the label, the rule flags and the capacity groups, so the gate
    ranks the list as shipped (`shouhu_core.list_order`). No child key — only its rank, which breaks ties the
    same way — and no audit group other than the township."""
    from features.spec import AUDIT_COLUMNS

    drop = {"child_key", "selected_at_k", *AUDIT_COLUMNS} - {"township_code"}
    keep = [c for c in test.columns if c not in drop and not c.startswith(("true_", "flag_"))]
    out = test[keep].reset_index(drop=True)
    order = test["child_key"].rank(method="dense").astype("int64").to_numpy()
    out["child_key"] = [f"{r:09d}" for r in order]
    return out


def _write_artifacts(result: TrainResult, folder: Path, card: str, spec_path: Path) -> None:
    (folder / "plots").mkdir()
    (folder / "fairness").mkdir()
    (folder / "evaluation").mkdir()
    report.calibration_plot(result, folder / "plots" / "calibration.png")
    report.pr_plot(result, folder / "plots" / "pr_curve.png")
    report.shap_beeswarm(result, folder / "plots" / "shap_beeswarm.png")
    result.fairness.to_csv(folder / "fairness" / "fairness.csv", index=False)
    checks_table(result.judgement).to_csv(folder / "fairness" / "gate.csv", index=False)
    (folder / "fairness" / "fairness.md").write_text(report.to_markdown(result.fairness), encoding="utf-8")
    result.backtest.to_csv(folder / "evaluation" / "backtest.csv", index=False)
    for name, curve in result.calibration.items():
        curve.to_csv(folder / "evaluation" / f"calibration_{name}.csv", index=False)
    for name, curve in result.calibration_truth.items():
        curve.to_csv(folder / "evaluation" / f"calibration_{name}_vs_truth.csv", index=False)
    if result.calibration_truth:
        report.calibration_plot(
            result, folder / "plots" / "calibration_vs_truth.png", result.calibration_truth, "true outcomes"
        )
    # everything LightGBM was given (monotone constraints included), beside the flat params of the run
    (folder / "evaluation" / "lightgbm_params.json").write_text(
        json.dumps(result.parts.booster.params, indent=1, default=str)
    )
    (folder / "evaluation" / "metrics.json").write_text(json.dumps(result.metrics, indent=1, default=float))
    test_window(result.test).to_parquet(folder / TEST_WINDOW, index=False)
    (folder / pyfunc.CARD).write_text(card, encoding="utf-8")
    (folder / pyfunc.SPEC).write_bytes(spec_path.read_bytes())


def _log_model(result: TrainResult, model_files: dict[str, str], model_name: str) -> Any:
    import mlflow

    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(PYFUNC_SOURCE),
        code_paths=[str(MODEL_CODE)],
        artifacts=model_files,
        signature=model_signature(result.parts.inputs),
        input_example=input_example(result.parts),
        pip_requirements=pip_requirements(),
        registered_model_name=model_name,
    )


def log_run(
    result: TrainResult,
    spec: FeatureSpec,
    spec_path: Path,
    *,
    tracking_uri: str,
    artifact_root: Path,
    model_name: str,
    horizon_days: int,
    k: int,
    params: dict[str, Any] | None = None,
    run_name: str | None = None,
) -> RunOutcome:
    """Log the run, register a new version of `model_name`, alias it challenger (and champion if none)."""
    import mlflow
    from mlflow import MlflowClient

    experiment_id = configure(tracking_uri, artifact_root, model_name)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    champion_missing(client, model_name)  # a registry that cannot be read stops the run before it logs
    sha = git_sha()
    card = report.model_card(
        result,
        spec_version=spec.version,
        spec_hash=spec.hash,
        git_sha=sha,
        k=k,
        horizon_days=horizon_days,
        model_name=model_name,
    )
    # the Chinese card first, for the county official; the English one follows for the data team
    card = (
        model_card_zh.model_card_zh(
            result, k=k, horizon_days=horizon_days, model_name=model_name, spec_version=spec.version
        )
        + card
    )
    run_tags = {
        "git_sha": sha,
        "spec_hash": spec.hash,
        "spec_version": spec.version,
        "data_window": result.data_window,
        "test_window": result.split.window("test"),
        "data_snapshot": result.data_snapshot,
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=run_tags) as run,
    ):
        folder = Path(tmp)
        mlflow.log_params(
            {
                **result.config.as_params(),
                "horizon_days": horizon_days,
                "k": k,
                "fit_window": result.split.window("fit"),
                "calibration_window": result.split.window("calibration"),
                "test_window": result.split.window("test"),
                "n_inputs": len(result.parts.inputs),
                **{f"rows_{part}": n for part, n in result.n_rows.items()},
                **(params or {}),
            }
        )
        mlflow.log_metrics(_flat_metrics(result))
        docs = folder / "docs"
        docs.mkdir()
        _write_artifacts(result, docs, card, spec_path)
        mlflow.log_artifacts(str(docs))
        model_files = pyfunc.save_parts(result.parts, folder / "model")
        for name in (pyfunc.CARD, pyfunc.SPEC):
            model_files[name] = str(docs / name)
        # pip_requirements pins what predict needs; the uv.lock would only add weight to each version.
        with _environ(MLFLOW_LOG_UV_FILES="false", MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false"):
            info = _log_model(result, model_files, model_name)
        version = str(info.registered_model_version)
        run_id = run.info.run_id

    first = champion_missing(client, model_name)  # read again now: a champion may have come meanwhile
    for key, value in version_tags(result, spec, sha, horizon_days, k).items():
        client.set_model_version_tag(model_name, version, key, value)
    client.set_model_version_tag(model_name, version, "run_id", run_id)
    client.update_registered_model(model_name, description=model_card_zh.REGISTERED_DESCRIPTION)
    client.update_model_version(
        model_name,
        version,
        description=model_card_zh.version_description(result, k=k, horizon_days=horizon_days),
    )
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    aliases = [CHALLENGER]
    if first:  # no champion yet: the first model serves until a better one passes the gates
        # the history first, then the alias: serving reads a champion whose version ends the history as
        # having come through Shouhu's own path (shouhu_core.model_contract.gate_verdict)
        client.set_registered_model_tag(model_name, HISTORY_TAG, json.dumps([version]))
        client.set_registered_model_alias(model_name, CHAMPION, version)
        aliases.append(CHAMPION)
    return RunOutcome(
        run_id=run_id, version=version, aliases=tuple(aliases), model_uri=f"models:/{model_name}/{version}"
    )


def registered_aliases(client: MlflowClient, model_name: str) -> dict[str, str]:
    """The registered model's aliases (alias → version), read from the model itself, so "no champion" is an
    answer and never an inference from an error; empty only when the model is not registered yet. Any other
    failure (the store locked, unreachable, damaged) raises `RegistryError`: nothing becomes champion without
    its gates because the registry could not be read."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

    try:
        aliases = client.get_registered_model(model_name).aliases or {}
    except MlflowException as exc:
        if exc.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return {}
        raise RegistryError(_cannot_read(model_name, exc)) from exc
    except Exception as exc:
        raise RegistryError(_cannot_read(model_name, exc)) from exc
    return {str(alias): str(version) for alias, version in aliases.items()}


def champion_missing(client: MlflowClient, model_name: str) -> bool:
    return CHAMPION not in registered_aliases(client, model_name)


def _cannot_read(model_name: str, exc: Exception) -> str:
    return (
        f"cannot read the aliases of {model_name} from the model registry ({type(exc).__name__}: "
        f"{one_line(exc)}); no alias was changed"
    )


def one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
