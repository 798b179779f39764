"""The commands' error boundary: an exception that escapes a command becomes one red line naming the problem
and what to do about it, and exit code 1 — never a traceback (`shouhu --traceback …` shows one).

Every command of the `shouhu` app is wrapped once, where the app is assembled (`guard_app`), so a command body
needs no try/except of its own for the common failures: a missing warehouse, a missing or unreadable model
registry, a wrong path, a service database that is not migrated. Exception classes of heavy libraries
(DuckDB, MLflow, SQLAlchemy) are looked up in `sys.modules` only: if the module was never imported, the
exception cannot be one of its classes, and `shouhu --help` stays free of heavy imports."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

# Exceptions whose message is already one line naming the problem and the fix.
ONE_LINE_ERRORS = (
    ("training.tracking", "RegistryError"),
    ("serving.db", "SchemaNotCurrent"),
    ("serving.warehouse", "WarehouseUnavailable"),
)
MAX_CHARS = 400
INGEST_FIRST = "run `shouhu ingest FOLDER` first, or point SHOUHU_WAREHOUSE at the county's warehouse"
_show_traceback = False


def show_tracebacks(on: bool) -> None:
    """`shouhu --traceback`: let exceptions through, for whoever debugs a command."""
    global _show_traceback
    _show_traceback = on


def _loaded(module: str, name: str) -> type[BaseException] | None:
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _is(exc: BaseException, module: str, name: str) -> bool:
    cls = _loaded(module, name)
    return cls is not None and isinstance(exc, cls)


def one_line(text: str) -> str:
    """`text` on one line, cut to a readable length (DuckDB and MLflow messages run over several)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_CHARS else flat[: MAX_CHARS - 1] + "…"


def explain(exc: BaseException) -> str:
    """The problem and the fix for an exception a command did not handle itself."""
    text = one_line(str(exc))
    if any(_is(exc, module, name) for module, name in ONE_LINE_ERRORS) or isinstance(exc, ValueError):
        return text
    if isinstance(exc, FileNotFoundError):
        if exc.filename is None:  # raised by Shouhu with its own message
            return text
        return f"{exc.filename} not found; check the path (relative paths start at {Path.cwd()})"
    if isinstance(exc, FileExistsError | IsADirectoryError | NotADirectoryError | PermissionError):
        return (
            f"{exc.strerror}: {exc.filename}; check the path (a file where a folder belongs?) and permissions"
        )
    if _is(exc, "duckdb", "IOException") and "does not exist" in text:
        return f"the warehouse does not exist ({text}); {INGEST_FIRST}"
    if _is(exc, "duckdb", "IOException") and "lock" in text.lower():
        return f"the warehouse is in use ({text}); stop what holds it open (shouhu serve, ingest), run again"
    if _is(exc, "duckdb", "CatalogException"):
        return f"the warehouse lacks a table ({text}); {INGEST_FIRST}"
    if _is(exc, "duckdb", "Error"):
        return f"warehouse error: {text}; {INGEST_FIRST}"
    if _is(exc, "mlflow.exceptions", "MlflowException"):
        return (
            f"model registry: {text}; check SHOUHU_MLFLOW_TRACKING_URI, and run `shouhu train` if no model "
            "is registered yet"
        )
    if _is(exc, "sqlalchemy.exc", "SQLAlchemyError"):
        return f"service database: {text}; check SHOUHU_DATABASE_URL, then run `shouhu db upgrade`"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or text}{where}; check the path, its permissions and free disk space"
    return f"stopped by {type(exc).__name__}: {text}; run it again with `shouhu --traceback …` to see where"


def _passes_through(exc: BaseException) -> bool:
    # Typer's own exits and usage errors print themselves; Ctrl-C is the user's
    return isinstance(exc, typer.Exit | typer.Abort | typer.TyperException | KeyboardInterrupt)


def _command_path(command: Callable[..., Any]) -> str:
    """`shouhu users add`: from the running context (Typer's own click), else from the function's name."""
    try:
        from typer.main import get_current_context

        return get_current_context().command_path
    except (ImportError, RuntimeError):
        return "shouhu " + command.__name__.replace("_", "-")


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command` with the error boundary around it (same name, signature and help)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        name = _command_path(command)
        try:
            return command(*args, **kwargs)
        except Exception as exc:
            if _show_traceback or _passes_through(exc):
                raise
            typer.secho(f"{name}: {explain(exc)}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None

    return run


def guard_app(app: typer.Typer) -> None:
    """Wrap every command of `app` and of its sub-apps (once; a command already wrapped is left alone)."""
    for info in app.registered_commands:
        if info.callback is not None and not getattr(info.callback, "_guarded", False):
            info.callback = guarded(info.callback)
            info.callback._guarded = True  # type: ignore[attr-defined]
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_app(group.typer_instance)


def existing(kind: str, hint: str) -> Callable[..., Any]:
    """A Typer option callback: the path must be an existing `kind` ("folder", "file" or "path": either),
    else one red line naming the option, the path and `hint` (what to give instead), exit 2 — not Typer's
    usage box."""

    def check(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
        if value is None or ctx.resilient_parsing:
            return value
        ok = {"folder": value.is_dir, "file": value.is_file, "path": value.exists}[kind]()
        if not ok:
            option = max(param.opts, key=len)
            what = "does not exist" if not value.exists() else f"is not a {kind}"
            typer.secho(f"{ctx.command_path}: {option} {value} {what}; {hint}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        return value

    return check


# the path options several commands share
TRUTH_FOLDER = existing(
    "folder", "give the truth/ folder `shouhu simulate` wrote (OUT/truth), or leave it out"
)
MATRIX_FILE = existing(
    "path", "give the parquet file or as_of=… folder `shouhu features --out` wrote, or leave --matrix out"
)
FEEDS_FOLDER = existing("folder", "give the folder that holds the feed files")
