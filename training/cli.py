"""`shouhu train | retrain | promote | rollback | score | audit` (issue 5). Heavy imports stay inside the
commands so `shouhu --help` is fast."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shouhu.errors import FEEDS_FOLDER, MATRIX_FILE, TRUTH_FOLDER

if TYPE_CHECKING:
    import pandas as pd

    from shouhu.settings import Settings
    from training.listed import Listing

Date = Annotated[str | None, typer.Option(help="YYYY-MM-DD")]


def _say(message: str) -> None:
    typer.secho(f"· {message}", fg=typer.colors.BRIGHT_BLACK, err=True)


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _refused() -> tuple[type[Exception], ...]:
    """What a command reports in one line: bad input (ValueError) and a registry that cannot be read."""
    from training.tracking import RegistryError

    return (ValueError, RegistryError)


def _date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        _fail(f"{name}: {value!r} is not a date (YYYY-MM-DD)", 2)
    return None


# A reason is kept on the model version as someone's judgement, so it must be one: not empty, not a
# placeholder left as it was (the README shows `<…>`), not a word or two.
MIN_REASON_CHARS = 15


def reason_problem(reason: str) -> str | None:
    """Why `reason` cannot stand as a recorded judgement on a disparity, or None."""
    text = " ".join(reason.split())
    if text.startswith("<") and text.endswith(">"):
        return "is the placeholder; replace <…> with who judged the disparity and why it is acceptable"
    if len(text) < MIN_REASON_CHARS:
        return (
            f"is {len(text)} characters; write at least {MIN_REASON_CHARS}: who judged the disparity and why "
            "it is acceptable (it is kept on the model version)"
        )
    return None


def _accepted(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        group, sep, reason = pair.partition("=")
        if not sep or not group.strip():
            _fail(
                f'--accept-disparity {pair!r}: expected ATTRIBUTE=REASON, e.g. township_code="who judged it '
                'and why it is acceptable"',
                2,
            )
        problem = reason_problem(reason)
        if problem:
            _fail(f"--accept-disparity {group.strip()}: the reason {reason.strip()!r} {problem}", 2)
        out[group.strip()] = reason.strip()
    return out


def _quiet_mlflow() -> None:
    import logging
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    # MLflow logs a failing store query in full (dozens of lines) before raising it; the command reports it
    # in one line (training.tracking.RegistryError)
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.CRITICAL)


def _print_training(trained: object) -> None:
    from rich.console import Console
    from rich.table import Table

    result, run = trained.result, trained.run  # type: ignore[attr-defined]
    table = Table(title=f"latest test window {result.split.window('test')}")
    table.add_column("metric")
    for name in result.metrics:
        table.add_column(name, justify="right")
    keys = [
        "precision_at_k",
        "recall_at_k",
        "precision_at_10pct",
        "pr_auc",
        "roc_auc",
        "brier",
        "ece",
        "true_precision_at_k",
        "oracle_ratio",
    ]
    for key in keys:
        if key in result.metrics["model"]:
            table.add_row(key, *(f"{result.metrics[m].get(key, float('nan')):.4f}" for m in result.metrics))
    console = Console(width=max(Console().width, 160))  # seven scorers side by side: never fold a metric name
    console.print(table)
    flagged = result.fairness[result.fairness["flagged"] != ""] if not result.fairness.empty else []
    unjudged = [f"{j.attribute}={u}" for j in result.judgement for u in j.unjudged]
    console.print(
        f"fairness: worst gated disparity per attribute {_fmt(result.disparities)}; "
        f"{len(flagged)} group rows flagged (see fairness/fairness.md in the run)"
        + (f"; too small to judge: {'; '.join(unjudged)}" if unjudged else "")
    )
    console.print(
        f"registered [bold]{run.model_uri}[/] (run {run.run_id}), aliases: {', '.join(run.aliases)}"
    )


def _fmt(values: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in values.items()) or "none judged"


def _print_promotion(promotion: object) -> None:
    if promotion.previous == promotion.version:  # type: ignore[attr-defined]
        typer.echo(f"version {promotion.version} is already champion.")  # type: ignore[attr-defined]
        return
    for gate in promotion.gates:  # type: ignore[attr-defined]
        mark = (
            typer.style("PASS", fg=typer.colors.GREEN)
            if gate.passed
            else typer.style("FAIL", fg=typer.colors.RED)
        )
        typer.echo(f"  [{mark}] {gate.name}: {gate.detail}")
    if promotion.promoted:  # type: ignore[attr-defined]
        typer.echo(f"version {promotion.version} is now champion (was {promotion.previous}).")  # type: ignore[attr-defined]
    else:
        typer.echo(f"version {promotion.version} stays challenger; champion remains {promotion.previous}.")  # type: ignore[attr-defined]


def train(
    date_from: Annotated[str | None, typer.Option("--from", help="First as-of date (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last as-of date (YYYY-MM-DD).")] = None,
    horizon: Annotated[int | None, typer.Option(help="Label horizon in days (default: settings).")] = None,
    matrix: Annotated[
        Path | None,
        typer.Option(help="Read this feature matrix (parquet) instead of building it.", callback=MATRIX_FILE),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Simulator truth/ folder (evaluation against true outcomes).", callback=TRUTH_FOLDER
        ),
    ] = None,
    label_scheme: Annotated[
        str | None,
        typer.Option(
            help="What the model learns from: detected, exposure_weighted, visit_proof or type_weighted "
            "(default: SHOUHU_LABEL_SCHEME)."
        ),
    ] = None,
) -> None:
    """Train, evaluate (vs the checklist and logistic regression, with fairness) and register a challenger."""
    _quiet_mlflow()
    from shouhu.settings import get_settings
    from training import workflow
    from training.bias import SCHEMES

    settings = get_settings()
    scheme = label_scheme or settings.label_scheme
    if scheme not in SCHEMES:  # before the matrix is built, which can take minutes
        _fail(f"shouhu train: unknown label scheme {scheme!r} (one of {', '.join(SCHEMES)})")
    settings.ensure_dirs()
    try:
        frame = workflow.load_matrix(
            settings, matrix, _date(date_from, "--from"), _date(date_to, "--to"), horizon, truth, say=_say
        )
        trained = workflow.train(frame, settings, horizon_days=horizon, label_scheme=label_scheme, say=_say)
    except _refused() as exc:
        _fail(f"shouhu train: {exc}")
    _print_training(trained)


def retrain(
    feeds: Annotated[
        Path | None,
        typer.Option(help="A folder of new feed files to ingest first.", callback=FEEDS_FOLDER),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="Simulator truth/ folder.", callback=TRUTH_FOLDER),
    ] = None,
    accept_disparity: Annotated[
        list[str] | None, typer.Option(help="GROUP=REASON, accepted disparity.")
    ] = None,
) -> None:
    """The monthly job: ingest, features to the latest date, train, evaluate, promote through the gates."""
    _quiet_mlflow()
    from shouhu.settings import get_settings
    from training import workflow

    settings = get_settings()
    settings.ensure_dirs()
    try:
        if feeds is not None:
            settings.require_secrets("pseudonym_secret")  # it ingests, so it pseudonymizes
        done = workflow.retrain(settings, feeds, truth, _accepted(accept_disparity), say=_say)
    except _refused() as exc:
        _fail(f"shouhu retrain: {exc}")
    if done.ingest is not None:
        total = done.ingest.total
        typer.echo(f"ingest: {total.loaded:,} rows loaded, {total.quarantined:,} quarantined")
    _print_training(done.trained)
    _print_promotion(done.promotion)


def promote(
    version: Annotated[int | None, typer.Option(help="Version to promote (default: the challenger).")] = None,
    accept_disparity: Annotated[
        list[str] | None,
        typer.Option(
            help="GROUP=REASON: accept a disparity outside 0.8–1.25 for this attribute (kept on the version)."
        ),
    ] = None,
    margin: Annotated[
        float, typer.Option(help="Allowed relative drop in precision@k vs the champion.")
    ] = 0.05,
    ece_bound: Annotated[float, typer.Option(help="Largest expected calibration error allowed.")] = 0.05,
) -> None:
    """Challenger -> champion, only through the gates (quality, fairness, calibration)."""
    _quiet_mlflow()
    from shouhu.settings import get_settings
    from training import registry

    settings = get_settings()
    try:
        result = registry.promote(
            version,
            _accepted(accept_disparity),
            tracking_uri=settings.mlflow_tracking_uri,
            model_name=settings.model_name,
            margin=margin,
            ece_bound=ece_bound,
        )
    except _refused() as exc:
        _fail(f"shouhu promote: {exc}")
    _print_promotion(result)
    if not result.promoted and result.failed:
        raise typer.Exit(1)


def rollback() -> None:
    """Put the previous champion back (one command; the history is kept on the registered model)."""
    _quiet_mlflow()
    from shouhu.settings import get_settings
    from training import registry

    settings = get_settings()
    try:
        demoted, restored = registry.rollback(settings.mlflow_tracking_uri, settings.model_name)
    except _refused() as exc:
        _fail(f"shouhu rollback: {exc}")
    typer.echo(
        f"champion is version {restored} again (version {demoted} rolled back; it is not challenger either, "
        "so `shouhu promote` will not bring it back)."
    )


def score(
    as_of: Annotated[str, typer.Option(help="Score the cohort as of this date (YYYY-MM-DD).")],
    out: Annotated[Path, typer.Option(help="Output file, .parquet or .csv.")],
    matrix: Annotated[
        Path | None,
        typer.Option(
            help="Score rows of this feature matrix (a .parquet file or an as_of=… partitioned folder).",
            callback=MATRIX_FILE,
        ),
    ] = None,
    spark: Annotated[
        bool, typer.Option("--spark", help="Score on Spark (SHOUHU_SPARK_MASTER) with MLflow's spark_udf.")
    ] = False,
    explain_listed: Annotated[
        bool,
        typer.Option(
            "--explain-listed",
            help="Score everyone but give reasons only to the children on a township list (its top "
            "SHOUHU_VISITS_PER_TOWNSHIP in list order, and every rule-flagged child): for a province. "
            "Also with --spark.",
        ),
    ] = False,
) -> None:
    """Batch-score the whole cohort with the champion: probability, percentile, band and reasons per child."""
    _quiet_mlflow()
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from shouhu.settings import get_settings
    from training import data, workflow
    from training.listed import Listing

    settings = get_settings()
    day = pd.Timestamp(_date(as_of, "--as-of"))
    listing = Listing("township", settings.visits_per_township) if explain_listed else None
    if spark:
        _score_on_spark(settings, day, matrix, out, listing)
        return
    try:
        if matrix is not None:
            frame = data.read_matrix(matrix)
            frame = frame[frame["as_of"] == day]
        else:
            _say(f"building features as of {day:%Y-%m-%d}")
            frame = data.build(
                settings.warehouse, [day], settings.horizon_days, None, spec=workflow.project_spec(settings)
            )
        if frame.empty:
            _fail(f"shouhu score: no children in the cohort as of {day:%Y-%m-%d}")
        model, version = workflow.load_champion(settings)
    except _refused() as exc:
        _fail(f"shouhu score: {exc}")
    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as bar:
        task = bar.add_task("score", total=len(frame))
        scored = workflow.score(
            frame, model, version, advance=lambda n: bar.advance(task, n), listing=listing
        )
    workflow.write_scores(scored, out)
    bands = scored["band"].value_counts().to_dict()
    typer.echo(
        f"scored {len(scored):,} children as of {day:%Y-%m-%d} with {settings.model_name} v{version} → {out}"
    )
    typer.echo(
        "bands: " + ", ".join(f"{b} {bands.get(b, 0):,}" for b in ("red", "orange", "yellow", "green"))
    )
    if explain_listed:
        typer.echo(f"explained: {int(scored['listed'].sum()):,} children on the township lists")


def _score_on_spark(
    settings: Settings, day: pd.Timestamp, matrix: Path | None, out: Path, listing: Listing | None
) -> None:
    from training.registry import champion_version
    from training.spark_score import score_on_spark

    if matrix is None:
        _fail("shouhu score --spark: give --matrix (build it with `SHOUHU_BACKEND=spark shouhu features`)")
    if out.suffix.lower() != ".parquet":
        _fail("shouhu score --spark: --out must be a .parquet file")
    version = champion_version(settings.mlflow_tracking_uri, settings.model_name)
    if version is None:
        _fail(f"shouhu score --spark: {settings.model_name} has no champion: run `shouhu train` first")
    import mlflow

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    uri = f"models:/{settings.model_name}/{version}"
    n = score_on_spark(matrix, uri, version, day, out, master=settings.spark_master, listing=listing)
    if n == 0:
        _fail(f"shouhu score: no children in the cohort as of {day:%Y-%m-%d}")
    typer.echo(
        f"scored {n:,} children as of {day:%Y-%m-%d} on Spark with {settings.model_name} v{version} → {out}"
    )
    if listing is not None:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        listed = pc.sum(pq.read_table(out, columns=["listed"]).column("listed")).as_py() or 0
        typer.echo(f"explained: {listed:,} children on the township lists")


def audit(
    scores: Annotated[Path, typer.Option(help="A scored CSV or parquet file (any system's).")],
    label: Annotated[str, typer.Option(help="Column with the observed outcome (0/1).")],
    group: Annotated[str, typer.Option(help="Column with the group (sex, township, …).")],
    top_k: Annotated[int | None, typer.Option(help="Selected = the N highest scores.")] = None,
    top_pct: Annotated[float | None, typer.Option(help="Selected = the top P percent of scores.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Selected = score ≥ T.")] = None,
    predicted: Annotated[str | None, typer.Option(help="Selected = this 0/1 column.")] = None,
    reference: Annotated[str | None, typer.Option(help="Reference group (default: the largest).")] = None,
    score_column: Annotated[
        str | None,
        typer.Option(
            "--score",
            help="Score column for top-k/top-pct/threshold (default: 'score', else Shouhu's 'probability').",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the table to this CSV file.")] = None,
) -> None:
    """Fairness audit of a scored file: per group n, base rate, selection rate, precision, TPR, FPR, FNR and
    disparity ratios vs a reference group (flagged outside 0.8–1.25)."""
    from training.audit import AuditError, read_scores, selection
    from training.audit import audit as run_audit
    from training.fairness import to_markdown

    try:
        frame = read_scores(scores)
        if score_column is None:  # any system's "score"; Shouhu's own scores file calls it "probability"
            shouhu_file = "score" not in frame.columns and "probability" in frame.columns
            score_column = "probability" if shouhu_file else "score"
        selected = selection(
            frame, score_column if predicted is None else None, top_k, top_pct, threshold, predicted
        )
        table = run_audit(frame, label, group, selected, reference)
    except AuditError as exc:
        _fail(f"shouhu audit: {exc}", 2)
    typer.echo(to_markdown(table))
    flagged = table[table["flagged"] != ""]
    typer.echo(
        f"\n{len(flagged)} of {len(table)} groups outside 0.8–1.25 on some rate (reference: "
        f"{table.loc[table['reference'], 'group'].iloc[0]})."
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, encoding="utf-8-sig")
        typer.echo(f"written {out}")
