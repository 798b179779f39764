"""`shouhu ingest` and `shouhu contracts-doc` (issue 2)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from data_contracts.ingest import IngestReport


def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of feed files (or a simulator output folder).")],
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse file [default: settings.warehouse].")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any row is quarantined.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Validate, pseudonymize and load a folder of feeds into the warehouse; bad rows go to `quarantine`."""
    from rich.console import Console

    from data_contracts.ingest import ingest_folder
    from data_contracts.readers import FileProblem
    from data_contracts.report import render_report
    from shouhu.settings import InsecureSettings, get_settings

    settings = get_settings()
    try:
        settings.require_secrets("pseudonym_secret")  # keys made with a public secret could be linked back
    except InsecureSettings as exc:
        typer.echo(f"shouhu ingest: {exc}", err=True)
        raise typer.Exit(2) from None
    console = Console()
    try:
        report = ingest_folder(
            folder,
            warehouse or settings.warehouse,
            settings.pseudonym_secret.get_secret_value(),
            strict=strict,
            progress=progress,
        )
    except FileProblem as exc:
        typer.echo(f"shouhu ingest: {exc}", err=True)
        raise typer.Exit(1) from None
    render_report(report, console)
    for result in report.errors:
        typer.echo(f"shouhu ingest: cannot read {result.path}: {result.error}", err=True)
    if strict and report.total.quarantined:
        typer.echo(strict_failure_message(report), err=True)
    raise typer.Exit(report.exit_code)


def strict_failure_message(report: IngestReport) -> str:
    """What `--strict` says when rows were quarantined: each file with its count and top rules."""
    lines = [
        f"shouhu ingest: --strict and {report.total.quarantined} row(s) quarantined "
        f"(table quarantine, ingest_run = '{report.run_id}'):"
    ]
    for result in report.quarantining_files:
        rules = ", ".join(
            f"{rule} on {column or '(row)'} ×{count}" for rule, column, count in result.top_rules()
        )
        more = len(result.rules) - len(result.top_rules())
        lines.append(
            f"  {result.path.name}: {result.counts.quarantined} row(s); {rules}"
            + (f" and {more} more rule(s)" if more > 0 else "")
        )
    return "\n".join(lines)


def contracts_doc(
    out: Annotated[Path, typer.Option(help="Where to write the page.")] = Path("docs/contracts.md"),
) -> None:
    """Write docs/contracts.md from the pandera models."""
    from data_contracts.docs import render_contracts

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_contracts(), encoding="utf-8")
    typer.echo(f"wrote {out}")
