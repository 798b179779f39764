"""`shouhu serve`, `shouhu db` and `shouhu users`. Each command reads the settings once and hands their values
down. Heavy modules are imported inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shouhu.settings import Settings

users_app = typer.Typer(help="Manage service accounts (服务账号).", no_args_is_help=True)
db_app = typer.Typer(help="The service database (服务数据库): schema migrations.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Apply the database migrations before serving.")
    ] = False,
) -> None:
    """Run the API (the database schema must be current: `shouhu db upgrade`, or `--migrate`; the champion
    model is loaded and watched for promotions)."""
    from shouhu.settings import get_settings

    settings = get_settings()
    settings.ensure_dirs()
    import uvicorn

    from serving.app import create_app

    uvicorn.run(create_app(settings, migrate=migrate), host=host, port=port, workers=1, log_level="info")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the service database schema to the current version (Alembic migrations; safe to repeat)."""
    from serving.db import make_engine, migrate, schema_revision
    from shouhu.settings import get_settings

    settings = get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    try:
        before, _ = schema_revision(engine)
        migrate(engine)
        after, _ = schema_revision(engine)
    finally:
        engine.dispose()
    typer.echo(
        f"service database at revision {after}" + (f" (was {before or 'empty'})" if before != after else "")
    )


def _session(settings: Settings):
    from serving.db import SchemaNotCurrent, make_engine, make_sessionmaker, require_current_schema

    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    try:
        require_current_schema(engine)
    except SchemaNotCurrent as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return make_sessionmaker(engine)()


def unknown_area(code: str, warehouse_path: Path) -> str | None:
    """Why `code` cannot be an account's area, or None. A mistyped code would give an account that sees an
    empty list forever, so it is checked against the warehouse's admin units once they are loaded."""
    from serving.warehouse import Warehouse, WarehouseUnavailable

    warehouse = Warehouse(warehouse_path)
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
    from shouhu.settings import get_settings

    if not password_stdin:
        typer.echo("give --password-stdin and pipe the password in", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    area = village or township or county
    settings = get_settings()
    problem = unknown_area(area, settings.warehouse) if area else None
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    with _session(settings) as session:
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
    from shouhu.settings import get_settings

    table = Table("username", "role", "area", "active")
    with _session(get_settings()) as session:
        for u in list_users(session):
            table.add_row(u.username, u.role, u.area_code or "—", "yes" if u.active else "no")
    Console().print(table)
