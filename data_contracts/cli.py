"""`shouhu ingest` and `shouhu contracts-doc` (issue 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


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
    from shouhu.settings import get_settings

    settings = get_settings()
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
        typer.echo(
            f"shouhu ingest: --strict and {report.total.quarantined} row(s) quarantined "
            f"(see table quarantine, ingest_run = '{report.run_id}')",
            err=True,
        )
    raise typer.Exit(report.exit_code)


def contracts_doc(
    out: Annotated[Path, typer.Option(help="Where to write the page.")] = Path("docs/contracts.md"),
) -> None:
    """Write docs/contracts.md from the pandera models."""
    from data_contracts.docs import render_contracts

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_contracts(), encoding="utf-8")
    typer.echo(f"wrote {out}")
