"""Alembic environment: the engine comes from the caller (`serving.db.migrate`) or from the `sqlalchemy.url`
option of the Alembic config the caller built (`serving.db.alembic_config(url=...)`); it reads no settings.
`compare_type`: autogenerate notices a changed column type, not only added or dropped columns."""

from __future__ import annotations

from alembic import context

from serving.tables import Base


def run_migrations_online() -> None:
    config = context.config
    engine = config.attributes.get("engine")
    if engine is None:
        from serving.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError(
                "no database: pass an engine or set sqlalchemy.url (serving.db.alembic_config)"
            )
        engine = make_engine(url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
