"""`shouhu serve` and `shouhu users` (issue 6). Heavy modules are imported inside the commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

users_app = typer.Typer(help="Manage service accounts (服务账号).", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    migrate_only: Annotated[
        bool, typer.Option("--migrate-only", help="Apply database migrations and exit.")
    ] = False,
) -> None:
    """Run the API (migrations run first; the champion model is loaded and watched for promotions)."""
    from shouhu.settings import get_settings

    settings = get_settings()
    settings.ensure_dirs()
    if migrate_only:
        from serving.db import make_engine, migrate

        migrate(make_engine(settings.database_url))
        typer.echo("database schema is up to date")
        return
    import uvicorn

    from serving.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, workers=1, log_level="info")


def _session():
    from serving.db import make_engine, make_sessionmaker, migrate
    from shouhu.settings import get_settings

    settings = get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    migrate(engine)
    return make_sessionmaker(engine)()


def unknown_area(code: str) -> str | None:
    """Why `code` cannot be an account's area, or None. A mistyped code would give an account that sees an
    empty list forever, so it is checked against the warehouse's admin units once they are loaded."""
    from serving.warehouse import Warehouse, WarehouseUnavailable
    from shouhu.settings import get_settings

    warehouse = Warehouse(get_settings().warehouse)
    try:
        names = warehouse.area_names()
    except WarehouseUnavailable:
        return None  # accounts may be set up before the first ingest
    finally:
        warehouse.close()
    if not names or code in names:
        return None
    return f"area {code} is not an admin unit of the warehouse (`admin_units`); check the 12-digit code"


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[str, typer.Option(help="children_director | supervisor | county | data_team | admin")],
    village: Annotated[str | None, typer.Option(help="12-digit village code (children_director).")] = None,
    township: Annotated[str | None, typer.Option(help="12-digit township code (supervisor).")] = None,
    county: Annotated[str | None, typer.Option(help="12-digit county code (county, optional).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Add a user; the password is read from stdin (never a command-line argument)."""
    from serving.users import add_user

    if not password_stdin:
        typer.echo("give --password-stdin and pipe the password in", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    area = village or township or county
    problem = unknown_area(area) if area else None
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    with _session() as session:
        try:
            user = add_user(
                session, username, role, password, village=village, township=township, county=county
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"added {user.username} ({user.role}{', ' + user.area_code if user.area_code else ''})")


@users_app.command("list")
def users_list() -> None:
    """List users: username, role, area."""
    from rich.console import Console
    from rich.table import Table

    from serving.users import list_users

    table = Table("username", "role", "area", "active")
    with _session() as session:
        for u in list_users(session):
            table.add_row(u.username, u.role, u.area_code or "—", "yes" if u.active else "no")
    Console().print(table)
