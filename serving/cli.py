"""`shouhu serve` and `shouhu users`. Heavy modules are imported inside the commands.

Account changes made here (add, disable, reset-password, sign-out) are written to the audit log as done by
`cli:<operating-system user>` in the role `admin`."""

from __future__ import annotations

import sys
from collections.abc import Callable
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
    from serving import server
    from serving.app import create_app
    from shouhu.settings import InsecureSettings

    try:
        app = create_app(settings)
    except InsecureSettings as exc:
        typer.echo(f"shouhu serve: {exc}", err=True)
        raise typer.Exit(2) from None
    server.run(app, settings, host, port, log_level="info")


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
    """Add a user; the password is read from stdin (never a command-line argument). Passwords: at least 10
    characters, not a common one, not containing the username, not easily guessed."""
    from serving import audit
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

    with _session() as session:
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

    table = Table("username", "role", "area", "active")
    with _session() as session:
        for u in list_users(session):
            table.add_row(u.username, u.role, u.area_code or "—", "yes" if u.active else "no")
    Console().print(table)
