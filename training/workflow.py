"""The commands' work, callable from the CLI, `shouhu demo` and tests: train (and register), retrain (the
monthly job), batch score with the champion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from features.spec import AUDIT_COLUMNS
from shouhu_core.list_order import list_ranks
from training import data
from training.baselines import with_warehouse_tiers
from training.pipeline import TrainConfig, TrainResult, train_and_evaluate
from training.registry import Promotion, promote
from training.tracking import RunOutcome, log_run

if TYPE_CHECKING:
    from mlflow.pyfunc import PyFuncModel

    from data_contracts.ingest import IngestReport
    from features.spec import FeatureSpec
    from shouhu.settings import Settings
    from training.listed import Listing

Say = Callable[[str], None]


@dataclass
class Trained:
    result: TrainResult
    run: RunOutcome


def _quiet(_msg: str) -> None:
    return None


def project_spec(settings: Settings) -> FeatureSpec:
    """The indicator spec new models are trained on: `settings.feature_spec`, else the packaged v1."""
    from features.spec import load_spec

    return load_spec(settings.feature_spec)


def load_matrix(
    settings: Settings,
    matrix: Path | None = None,
    start: str | None = None,
    end: str | None = None,
    horizon_days: int | None = None,
    truth_dir: Path | None = None,
    say: Say = _quiet,
) -> pd.DataFrame:
    if matrix is not None:
        say(f"reading the feature matrix {matrix}")
        return _with_known_tiers(settings, data.read_matrix(matrix), say)
    from features.tier_rule import tier_table

    dates = data.default_dates(settings.warehouse, start, end)
    say(f"building the feature matrix: {len(dates)} monthly as-of dates {dates[0]:%Y-%m} … {dates[-1]:%Y-%m}")
    frame = data.build(
        settings.warehouse,
        dates,
        horizon_days or settings.horizon_days,
        truth_dir,
        spec=project_spec(settings),
        pseudonym_secret=settings.pseudonym_secret.get_secret_value(),
    )
    # the tier rule baseline from the warehouse records themselves (a baseline's score, never a model input)
    say("computing the tier rule (today's practice) from the warehouse records")
    return with_warehouse_tiers(frame, tier_table(settings.warehouse, dates))


def _with_known_tiers(settings: Settings, frame: pd.DataFrame, say: Say) -> pd.DataFrame:
    """A matrix read from a file, with the warehouse's tier rule when the warehouse holds every child of it
    (the tiers are point-in-time, so a warehouse ingested further since gives the same ones); otherwise the
    tier rule baseline is approximated from the matrix, and the run says so (`tier_rule_source`)."""
    from features.tier_rule import TIER_COLUMN, tier_table

    if not Path(settings.warehouse).exists() or frame.empty:
        return frame
    tiers = tier_table(settings.warehouse, sorted(frame["as_of"].unique()))
    joined = with_warehouse_tiers(frame, tiers)
    if joined[TIER_COLUMN].isna().any():
        say("the warehouse does not hold every child of the matrix: the tier rule is approximated from it")
        return frame
    say("tier rule (today's practice) computed from the warehouse records")
    return joined


def train(
    frame: pd.DataFrame,
    settings: Settings,
    *,
    horizon_days: int | None = None,
    config: TrainConfig | None = None,
    spec_path: Path | None = None,
    label_scheme: str | None = None,
    say: Say = _quiet,
) -> Trained:
    """Train, evaluate and register a new version (alias challenger; champion if there is none)."""
    from features.spec import DEFAULT_SPEC, load_spec

    horizon = horizon_days or settings.horizon_days
    spec_path = spec_path or settings.feature_spec or DEFAULT_SPEC  # logged with the model as it is
    spec = load_spec(spec_path)
    config = config or TrainConfig(
        horizon_days=horizon,
        k=settings.visits_per_township,
        label_scheme=label_scheme or settings.label_scheme,
    )
    result = train_and_evaluate(frame, spec, config, progress=say)
    say("logging the run to MLflow and registering the model")
    run = log_run(
        result,
        spec,
        Path(spec_path),
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=Path(settings.mlflow_artifact_root),
        model_name=settings.model_name,
        horizon_days=horizon,
        k=config.k,
        params={"tier_rule_source": result.extra.get("tier_rule_source", "matrix")},
    )
    return Trained(result, run)


@dataclass
class Retrained:
    ingest: IngestReport | None
    trained: Trained
    promotion: Promotion


def retrain(
    settings: Settings,
    feeds: Path | None = None,
    truth_dir: Path | None = None,
    accept: dict[str, str] | None = None,
    say: Say = _quiet,
) -> Retrained:
    """The monthly job: ingest new feeds (if a folder is given), features to the latest date, train, evaluate,
    promote through the gates."""
    report = None
    if feeds is not None:
        from data_contracts.ingest import ingest_folder

        say(f"ingesting {feeds}")
        report = ingest_folder(feeds, settings.warehouse, settings.pseudonym_secret.get_secret_value())
        # retraining on the warehouse as it was would hide that the month's data is missing
        if report.refused:
            raise ValueError(f"{report.refused} — nothing was retrained")
    frame = load_matrix(settings, truth_dir=truth_dir, say=say)
    trained = train(frame, settings, say=say)
    say(f"checking the gates for version {trained.run.version}")
    promotion = promote(
        trained.run.version, accept, tracking_uri=settings.mlflow_tracking_uri, model_name=settings.model_name
    )
    return Retrained(report, trained, promotion)


# What a scores file keeps beside the model's outputs: keys, audit groups (for `shouhu audit`), flags, labels.
SCORE_KEEP = ("child_key", "as_of", *AUDIT_COLUMNS, "rule_flags", "label", "label_observable")


def load_champion(settings: Settings) -> tuple[PyFuncModel, str]:
    import mlflow.pyfunc

    from training.registry import champion_version

    version = champion_version(settings.mlflow_tracking_uri, settings.model_name)
    if version is None:
        raise ValueError(f"{settings.model_name} has no champion: run `shouhu train` first")
    return mlflow.pyfunc.load_model(f"models:/{settings.model_name}/{version}"), version


def score(
    frame: pd.DataFrame,
    model: PyFuncModel,
    version: str,
    chunk: int = 20_000,
    advance: Callable[[int], None] | None = None,
    listing: Listing | None = None,
) -> pd.DataFrame:
    """The §4 output for every row, with the row's keys, audit groups, rule flags and (when known) label.
    With a `listing`, every row is scored but only the rows that go on its lists are explained (the others'
    reasons are missing; training.listed) and `listed` marks them."""
    from training.listed import predict, score_listed

    keep = [c for c in SCORE_KEEP if c in frame.columns]
    inputs = [c for c in model.metadata.get_input_schema().input_names() if c in frame.columns]
    if listing is None:
        scored, mask = predict(frame[inputs], model, chunk, advance=advance), None
    else:
        scored, mask = score_listed(frame, model, inputs, listing, chunk, advance)
    out = pd.concat([frame[keep].reset_index(drop=True), scored], axis=1)
    if mask is not None:
        out["listed"] = mask
    out["model_version"] = version
    # the village list as shipped (rule-flagged children first, then margin; shouhu_core.list_order)
    if "village_code" in out.columns:
        out["rank_in_village"] = list_ranks(
            out.assign(rule_flags=out.get("rule_flags", pd.Series("", index=out.index)).fillna("")), "village"
        )["list_rank"].to_numpy()
    return out


def write_scores(scores: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        scores.to_parquet(out, index=False)
    else:
        scores.to_csv(out, index=False, encoding="utf-8-sig")
