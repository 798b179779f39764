"""`shouhu features` (issue 4)."""

from __future__ import annotations

import typer


def features() -> None:
    """Point-in-time indicators, labels and rule flags. (Arrives with the features issue.)"""
    typer.echo("shouhu features: not built yet (issue 4).", err=True)
    raise typer.Exit(2)
