"""Migrations as the app sees them: Alembic's configuration for a URL, the heads the code expects, and
whether a database is at them (readiness, start-up, `govhub db`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govhub.db.engine import READ_ONLY_BEGIN, sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str | URL) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = sync_url(database_url)
    return config


def migration_heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


@dataclass(frozen=True)
class MigrationStatus:
    current: str | None
    heads: tuple[str, ...]
    reachable: bool
    error: str | None = None

    @property
    def at_head(self) -> bool:
        return self.reachable and self.current is not None and self.current in self.heads

    def describe(self) -> str:
        if not self.reachable:
            return f"database unreachable: {self.error}"
        if self.at_head:
            return f"database at migration head {self.current}"
        current = self.current or "no migrations applied"
        return (
            f"database schema is behind: at {current}, the code expects {', '.join(self.heads)}; "
            "run `govhub db upgrade`"
        )


async def read_migration_status(connection: AsyncConnection, heads: tuple[str, ...]) -> MigrationStatus:
    def current(sync_connection: Any) -> str | None:
        from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 (alembic runtime is heavy)

        return MigrationContext.configure(sync_connection).get_current_revision()

    return MigrationStatus(current=await connection.run_sync(current), heads=heads, reachable=True)


async def migration_status(engine: AsyncEngine, heads: tuple[str, ...]) -> MigrationStatus:
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**READ_ONLY_BEGIN)
            await connection.execute(text("SELECT 1"))
            return await read_migration_status(connection, heads)
    except (SQLAlchemyError, OSError) as error:
        return MigrationStatus(current=None, heads=heads, reachable=False, error=type(error).__name__)


def database_location(database_url: str | URL) -> str:
    """Where a database is, for a person: a SQLite file's absolute path (relative URLs are relative to the
    folder a command runs in, which is how a command run elsewhere finds an empty file), or a server's URL
    without its password."""
    url = sync_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return "an in-memory SQLite database"
        return f"the SQLite file {Path(url.database).resolve()}"
    return url.render_as_string(hide_password=True)


def sqlite_file_missing(database_url: str | URL) -> bool:
    """A SQLite URL whose file does not exist: connecting would create it, empty."""
    url = sync_url(database_url)
    return (
        url.get_backend_name() == "sqlite"
        and bool(url.database)
        and url.database != ":memory:"
        and not Path(url.database or "").exists()
    )


def schema_problem(status: MigrationStatus, database_url: str | URL, *, default: bool) -> str | None:
    """One line saying why a command cannot use this database and how to fix it; None when it can."""
    if status.at_head:
        return None
    where = database_location(database_url) + (
        " (the default: GOVHUB_DATABASE_URL is not set)" if default else ""
    )
    if not status.reachable:
        return f"cannot reach {where}: {status.error}. Check GOVHUB_DATABASE_URL."
    if status.current is None:
        return (
            f"{where} has no govhub schema: run `govhub db upgrade` to create it, "
            "or set GOVHUB_DATABASE_URL to the platform's database."
        )
    return (
        f"{where} is behind the code (at migration {status.current}, the code expects "
        f"{', '.join(status.heads)}): run `govhub db upgrade`."
    )
