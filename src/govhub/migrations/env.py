"""Alembic environment: one migration history for both backends, batch mode on SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import URL

from govhub.blocks import import_all_models
from govhub.db import Base, create_sync_engine, managed_by_migrations

import_all_models()
target_metadata = Base.metadata
config = context.config


def _database_url() -> URL:
    url = config.attributes.get("database_url")
    if not isinstance(url, URL):
        raise TypeError("run migrations through `govhub db upgrade`, which supplies the database URL")
    return url


def run_migrations_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
        include_name=managed_by_migrations,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_sync_engine(_database_url())
    try:
        with engine.connect() as fresh_connection:
            _run_on(fresh_connection)
    finally:
        engine.dispose()


def _run_on(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
        include_name=managed_by_migrations,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
