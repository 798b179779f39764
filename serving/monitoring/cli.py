"""`shouhu monitor [--as-of DATE]`: compute the monitoring figures, keep them as history in the service
database and print a summary with alerts. The only place monitoring reads settings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from serving.monitoring.run import MonitorResult
    from shouhu.settings import Settings

EXIT_ALERTS = 3  # with --strict: the run worked and raised alerts (a scheduler can tell it from a crash)


def thresholds_of(settings: Settings):
    from serving.monitoring.run import Thresholds

    return Thresholds(
        stale_days=settings.monitor_stale_days,
        quarantine_rate=settings.monitor_quarantine_rate,
        psi=settings.monitor_psi,
        min_precision=settings.monitor_min_precision,
        override_share=settings.monitor_override_share,
    )


def compute(settings: Settings, as_of: dt.date | None) -> MonitorResult:
    """One monitoring run with the settings' paths and thresholds, saved to the service database."""
    from serving.cli import _session
    from serving.monitoring import history
    from serving.monitoring.model import champion_view
    from serving.monitoring.run import run_monitor
    from serving.warehouse import Warehouse

    wh = Warehouse(settings.warehouse)
    try:
        as_of = as_of or wh.latest_date()
        county = wh.sole_county()
    finally:
        wh.close()
    if as_of is None:
        raise ValueError("the warehouse holds no records: run `shouhu ingest` first")
    champion, why = champion_view(settings.mlflow_tracking_uri, settings.model_name)
    session = _session(settings)
    try:
        result = run_monitor(
            settings.warehouse,
            session,
            as_of,
            horizon_days=settings.horizon_days,
            visits_per_township=settings.visits_per_township,
            thresholds=thresholds_of(settings),
            champion=champion,
            county=county,
            drift_sample=settings.drift_sample,
        )
        if why:
            result.summary["notes"].append(f"champion: {why}")
        history.save(session, result)
    finally:
        session.close()
    return result


def _fmt(value: float | None, share: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if share else f"{value:.3g}"


def print_summary(result: MonitorResult, console: Console) -> None:
    from rich.table import Table

    from serving.monitoring import figures as m

    console.print(f"[bold]监测 Monitoring[/bold] as of {result.as_of.isoformat()}")
    champ = result.summary.get("champion")
    if champ:
        console.print(f"champion {champ['name']} v{champ['version']}: {champ['gates']}")
    for note in result.summary.get("notes", []):
        console.print(f"[yellow]note[/yellow] {note}")

    table = Table(title="Feeds (county)", show_lines=False)
    for col in ("feed", "age (days)", "latest", "quarantine (latest run)", "stopped in"):
        table.add_column(col)
    quarantine = {f.subject: f for f in result.of(m.QUARANTINE)}
    county = result.summary.get("county")
    ages = result.of(m.FEED_AGE)
    for f in ages:
        if f.area_code != county:
            continue
        stopped = [g.area_code for g in ages if g.subject == f.subject and g.area_code != county and g.alert]
        q = quarantine.get(f.subject)
        table.add_row(
            f.subject,
            ("[red]" if f.alert else "") + _fmt(f.value),
            str(f.detail.get("latest") or "—"),
            ("[red]" if q is not None and q.alert else "") + _fmt(q.value if q else None, share=True),
            ", ".join(a or "" for a in stopped) or "—",
        )
    console.print(table)

    drift = Table(title="Drift (PSI vs the champion's reference cohort)")
    drift.add_column("what")
    drift.add_column("PSI")
    for f in [*result.of(m.PSI_SCORE), *result.of(m.PSI_INPUT)[:8]]:
        drift.add_row(f.subject, ("[red]" if f.alert else "") + _fmt(f.value))
    for f in result.of(m.PSI_SCORE_TOWNSHIP):
        if f.alert:  # a township's own score shift, above the threshold
            drift.add_row(f"score in {f.area_code}", "[red]" + _fmt(f.value))
    console.print(drift)

    quality = Table(title="Realised quality of issued lists (horizon passed)")
    for col in ("list", "as of", "scope", "k", "precision@k", "recall@k"):
        quality.add_column(col)
    recall = {f.subject: f.value for f in result.of(m.RECALL)}
    for f in result.of(m.PRECISION)[-10:]:
        quality.add_row(
            f.subject,
            f.detail["as_of"],
            f"{f.detail['scope']} {f.area_code}",
            str(f.detail["k"]),
            ("[red]" if f.alert else "") + _fmt(f.value, share=True),
            _fmt(recall.get(f.subject), share=True),
        )
    console.print(quality)

    for f in (*result.of(m.OUT_OF_ORDER), *result.of(m.NO_ACTION_FLAGGED), *result.of(m.CONCERN_AGREEMENT)):
        console.print(f"{f.metric}: {('[red]' if f.alert else '') + _fmt(f.value, share=True)}  {f.detail}")
    sel = result.of(m.SELECTION)
    if sel:
        console.print(
            "selection rate: "
            + ", ".join(f"{f.subject} {_fmt(f.value, share=True)} (n={f.detail['n']})" for f in sel)
        )
    alerts = result.alerts
    console.print(
        f"[bold]{len(alerts)} alert(s)[/bold]"
        + (
            ": " + "; ".join(f"{a.metric} {a.subject} {a.area_code or ''}".strip() for a in alerts[:12])
            if alerts
            else ""
        )
    )


def monitor(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: the warehouse's latest).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help=f"Exit with {EXIT_ALERTS} when any alert is raised.")
    ] = False,
) -> None:
    """Monitor feeds, drift, realised list quality, caseworkers' use of the lists and selection by group;
    keep the figures as history in the service database and print a summary with alerts."""
    from rich.console import Console

    from serving.warehouse import WarehouseUnavailable
    from shouhu.settings import get_settings

    settings = get_settings()
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        typer.echo(f"shouhu monitor: --as-of {as_of!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    try:
        result = compute(settings, day)
    except (ValueError, FileNotFoundError, WarehouseUnavailable) as exc:
        typer.echo(f"shouhu monitor: {exc}", err=True)
        raise typer.Exit(2) from None
    print_summary(result, Console())
    if strict and result.alerts:
        raise typer.Exit(EXIT_ALERTS)
