"""`govhub db upgrade|current|heads`: the schema is changed only by these commands, never silently."""

from __future__ import annotations

import click
from alembic import command
from alembic.runtime.migration import MigrationContext

from govhub.cli.common import load_settings
from govhub.db import alembic_config, create_sync_engine, migration_heads


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = load_settings()
    command.upgrade(alembic_config(settings.database_url), revision)
    click.echo(f"database at {_current(settings.database_url) or 'base'}")


@db.command()
def current() -> None:
    """Show the revision the database is at, and whether that is the head."""
    settings = load_settings()
    revision = _current(settings.database_url)
    heads = migration_heads()
    state = "head" if revision in heads else f"behind; head is {', '.join(heads)}"
    click.echo(f"{revision or 'base (no migrations applied)'} ({state})")


def _current(database_url: str) -> str | None:
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
