"""`shouhu serve`, `shouhu db` and `shouhu users`. Each command reads the settings once and hands their values
down. Heavy modules are imported inside the commands.

Account changes made here (add, disable, reset-password, sign-out) are written to the audit log as done by
`cli:<operating-system user>` in the role `admin`."""

from __future__ import annotations

import sys
from collections.abc import Callable
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
    from serving import server
    from serving.app import create_app
    from shouhu.settings import InsecureSettings

    try:
        app = create_app(settings, migrate=migrate)
    except InsecureSettings as exc:
        typer.echo(f"shouhu serve: {exc}", err=True)
        raise typer.Exit(2) from None
    server.run(app, settings, host, port, log_level="info")


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
    """Add a user; the password is read from stdin (never a command-line argument). Passwords: at least 10
    characters, not a common one, not containing the username, not easily guessed."""
    from serving import audit
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
        audit.record(session, _actor(), "add_user", "ok", detail=f"user {user.username} ({user.role})")
        typer.echo(f"added {user.username} ({user.role}{', ' + user.area_code if user.area_code else ''})")


def _actor() -> tuple[str, str]:
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"cli:{who}"[:64], "admin"


def _change(username: str, what: str, change: Callable[..., object], *args: str) -> None:
    """Apply `change(session, username, *args)` and its audit row in one transaction."""
    from serving import audit
    from serving.users import NoSuchUser
    from shouhu.settings import get_settings

    with _session(get_settings()) as session:
        try:
            change(session, username, *args)
        except (NoSuchUser, ValueError) as exc:
            session.rollback()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        audit.record(session, _actor(), what, "ok", detail=f"user {username}", commit=False)
        session.commit()


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable an account: it cannot sign in, and every token it holds stops working within seconds."""
    from serving.users import disable_user

    _change(username, "disable_user", disable_user)
    typer.echo(f"disabled {username}; its sessions are revoked")


@users_app.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """Set a new password (the password policy applies) and revoke every token issued before."""
    from serving.users import reset_password

    if not password_stdin:
        typer.echo("give --password-stdin and pipe the new password in", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    _change(username, "reset_password", reset_password, password)
    typer.echo(f"new password set for {username}; its earlier sessions are revoked")


@users_app.command("sign-out")
def users_sign_out(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """End every session of an account (e.g. a lost phone); it may sign in again with its password."""
    from serving.users import sign_out_everywhere

    _change(username, "sign_out_everywhere", sign_out_everywhere)
    typer.echo(f"every session of {username} is revoked")


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
