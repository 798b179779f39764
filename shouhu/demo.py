"""`shouhu demo` (issue 7): simulate → ingest → features → train → promote → demo accounts → serve."""

from __future__ import annotations

import typer


def demo() -> None:
    """Bring up the whole of Shouhu on a small simulated county. (Arrives with issue 7.)"""
    typer.echo("shouhu demo: not built yet (issue 7).", err=True)
    raise typer.Exit(2)
