"""`shouhu schedule`: the monthly job, run by the shipped systemd timer (deploy/systemd/shouhu-monthly.timer).

ingest (when a feeds folder is given) → monitor (history saved, alerts printed) → retrain when a trigger
fires: no champion, the champion older than SHOUHU_RETRAIN_MAX_CHAMPION_DAYS, or the score's or an input's
drift above SHOUHU_MONITOR_PSI. A retrained model becomes champion only through the gates (`shouhu retrain`
promotes with `training.registry.promote`); a refusal keeps the champion.

Every run writes its outcome to DATA_DIR/monthly_job.json. A run that fails at any step exits 1 (systemd then
starts the unit's OnFailure= alert) and leaves the champion as it was: nothing is promoted unless training and
the gates both finished."""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from serving.monitoring.run import MonitorResult
    from shouhu.settings import Settings

STATUS_FILE = "monthly_job.json"
Say = Callable[[str], None]


@dataclass
class JobReport:
    started_at: str
    status: str = "running"  # ok | failed
    step: str = ""
    monitor_as_of: str | None = None
    alerts: int = 0
    triggers: list[str] = field(default_factory=list)
    retrained: bool = False
    promoted: bool | None = None
    champion_before: str | None = None
    champion_after: str | None = None
    error: str | None = None


def triggers(result: MonitorResult, max_champion_days: int, today: dt.date) -> list[str]:
    """Why the model should be retrained now (empty: keep the champion)."""
    from serving.monitoring import figures as m

    reasons = []
    champion = result.summary.get("champion")
    if champion is None:
        reasons.append("no champion")
    else:
        registered = champion.get("registered_at")
        if registered:
            age = (today - dt.date.fromisoformat(registered[:10])).days
            if age > max_champion_days:
                reasons.append(f"champion is {age} days old (limit {max_champion_days})")
    drifted = [f.subject for f in (*result.of(m.PSI_SCORE), *result.of(m.PSI_INPUT)) if f.alert]
    if drifted:
        reasons.append("drift above the threshold: " + ", ".join(drifted[:5]))
    return reasons


def _champion_version(settings: Settings) -> str | None:
    from mlflow import MlflowClient

    from shouhu_core.model_contract import CHAMPION

    uri = settings.mlflow_tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        return str(client.get_model_version_by_alias(settings.model_name, CHAMPION).version)
    except Exception:  # no registered model or no alias yet
        return None


def _default_retrain(settings: Settings, say: Say) -> Any:
    from training import workflow

    return workflow.retrain(settings, None, None, None, say=say)


def monthly_job(
    settings: Settings,
    feeds: Path | None = None,
    *,
    force: bool = False,
    today: dt.date | None = None,
    say: Say = print,
    retrain: Callable[[Settings, Say], Any] = _default_retrain,
) -> JobReport:
    """One run of the monthly job; never raises (the report says what failed)."""
    from serving.monitoring.cli import compute, print_summary

    today = today or dt.datetime.now(dt.UTC).date()
    report = JobReport(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    try:
        report.champion_before = _champion_version(settings)
        if feeds is not None:
            report.step = "ingest"
            from data_contracts.ingest import ingest_folder

            settings.require_secrets("pseudonym_secret")
            say(f"ingesting {feeds}")
            ingested = ingest_folder(feeds, settings.warehouse, settings.pseudonym_secret.get_secret_value())
            if ingested.refused:
                raise ValueError(ingested.refused)
        report.step = "monitor"
        result = compute(settings, None)
        report.monitor_as_of = result.as_of.isoformat()
        report.alerts = len(result.alerts)
        from rich.console import Console

        print_summary(result, Console())
        report.triggers = triggers(result, settings.retrain_max_champion_days, today)
        if force:
            report.triggers.append("forced (--force)")
        if report.triggers:
            report.step = "retrain"
            say("retraining: " + "; ".join(report.triggers))
            done = retrain(settings, say)
            report.retrained = True
            report.promoted = bool(getattr(getattr(done, "promotion", None), "promoted", False))
            if not report.promoted:
                say("the new model did not pass the gates: the champion is unchanged")
        else:
            say("no retraining trigger: the champion stays")
        report.status = "ok"
    except Exception as exc:  # any failure: report it, change nothing more
        report.status = "failed"
        report.error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}"
        say(f"monthly job FAILED at {report.step}: {report.error}")
        say(traceback.format_exc(limit=3))
    finally:
        try:
            report.champion_after = _champion_version(settings)
        except Exception:
            report.champion_after = None
        _write(settings.data_dir / STATUS_FILE, report)
    return report


def _write(path: Path, report: JobReport) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def schedule(
    feeds: Annotated[
        Path | None,
        typer.Option(help="A folder of new feed files to ingest first.", exists=True, file_okay=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Retrain even when no trigger fires.")] = False,
) -> None:
    """The monthly job (run by the systemd timer in deploy/): ingest → monitor → retrain when the champion is
    too old or inputs drifted; promotion only through the gates. Exit 1 when any step failed."""
    from shouhu.settings import get_settings

    settings = get_settings()
    settings.ensure_dirs()
    report = monthly_job(settings, feeds, force=force, say=typer.echo)
    typer.echo(f"monthly job {report.status}; written to {settings.data_dir / STATUS_FILE}")
    if report.status != "ok":
        raise typer.Exit(1)
