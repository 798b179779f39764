"""`shouhu serve` and `shouhu users` (issue 6)."""

from __future__ import annotations

import typer

users_app = typer.Typer(help="Manage service accounts.", no_args_is_help=True)


def serve() -> None:
    """Run the API and caseworker pages. (Arrives with the serving issue.)"""
    typer.echo("shouhu serve: not built yet (issue 6).", err=True)
    raise typer.Exit(2)


@users_app.command("add")
def users_add() -> None:
    """Add a user. (Arrives with the serving issue.)"""
    typer.echo("shouhu users add: not built yet (issue 6).", err=True)
    raise typer.Exit(2)
