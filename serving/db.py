"""Engine and sessions for the service database, plus the append-only guard and the migration step. The
migrations run only when someone runs them (`shouhu db upgrade`, `shouhu serve --migrate`, the demo); the
service refuses to start on a schema that is not the code's (`require_current_schema`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from serving.tables import APPEND_ONLY

MIGRATIONS = Path(__file__).parent / "migrations"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove a row of an append-only table."""


class SchemaNotCurrent(RuntimeError):
    """The service database is not at the migrations' head revision (the message says what to run)."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers run beside the one writer; NORMAL sync is durable at checkpoints and far faster
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_size=20, max_overflow=10, pool_pre_ping=True)


def guard_append_only(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(
                f"{type(obj).__tablename__} is append-only: rows are never changed or deleted"
            )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", guard_append_only)
    return factory


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent): `shouhu db upgrade`, `serve --migrate`, the demo."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """(the database's current revision or None, the migrations' head revision)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, str(head)


def require_current_schema(engine: Engine) -> None:
    current, head = schema_revision(engine)
    if current != head:
        raise SchemaNotCurrent(
            f"the service database is at revision {current or 'none (empty)'}, this code needs {head}: "
            "run `shouhu db upgrade` (or start with `shouhu serve --migrate`)"
        )


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
