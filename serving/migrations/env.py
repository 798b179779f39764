"""Alembic environment: the engine comes from the caller (serving.db.migrate) or from the settings."""

from __future__ import annotations

from alembic import context

from serving.tables import Base


def run_migrations_online() -> None:
    config = context.config
    engine = config.attributes.get("engine")
    if engine is None:
        from serving.db import make_engine
        from shouhu.settings import get_settings

        engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().database_url)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
