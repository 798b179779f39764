"""`shouhu simulate` (issue 3)."""

from __future__ import annotations

import typer


def simulate() -> None:
    """Simulate a county: feeds plus a hidden truth. (Arrives with the simulator issue.)"""
    typer.echo("shouhu simulate: not built yet (issue 3).", err=True)
    raise typer.Exit(2)
