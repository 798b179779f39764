"""`shouhu ingest` and `shouhu contracts-doc` (issue 2)."""

from __future__ import annotations

import typer


def ingest() -> None:
    """Validate and load a folder of feeds into the warehouse. (Being built.)"""
    typer.echo("shouhu ingest: not built yet (issue 2).", err=True)
    raise typer.Exit(2)


def contracts_doc() -> None:
    """Write docs/contracts.md from the pandera models. (Being built.)"""
    typer.echo("shouhu contracts-doc: not built yet (issue 2).", err=True)
    raise typer.Exit(2)
