"""Database wiring: the declarative base, engines for SQLite and PostgreSQL, sessions, migration status.

One URL setting picks the backend. Request handling is async (aiosqlite or psycopg); Alembic and the CLI
use the same URL with a synchronous driver. SQLite gets the settings that make it a dependable embedded
database: WAL, foreign keys, a busy timeout, and transactions that SQLAlchemy controls (so SAVEPOINT works).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sqlalchemy_create_async_engine
from sqlalchemy.orm import DeclarativeBase

from govhub.config import Settings
from govhub.point_reads import PointReader, PointReads
from govhub.postgres_options import POSTGRES_CONNECT_ARGS
from govhub.sqlite_connection import BUSY_TIMEOUT_MS, LOCKING_READ_MARK, OneTripConnection, one_trip_connector

#: Constraint names are fixed, so both backends name them alike and errors can be mapped by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Names of indexes that blocks make at run time (a register's field indexes), not in migrations: Alembic
#: leaves them alone, and autogenerate does not offer to drop them.
RUNTIME_INDEXES: list[re.Pattern[str]] = []


def managed_by_migrations(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` hook."""
    return not (type_ == "index" and name and any(pattern.match(name) for pattern in RUNTIME_INDEXES))


class UnsupportedDatabase(ValueError):
    pass


def _normalised(url: str | URL) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg")
    raise UnsupportedDatabase(f"govhub runs on SQLite or PostgreSQL, not {backend!r}")


def sync_url(url: str | URL) -> URL:
    parsed = _normalised(url)
    return parsed.set(drivername="sqlite") if parsed.get_backend_name() == "sqlite" else parsed


def async_url(url: str | URL) -> URL:
    parsed = _normalised(url)
    return parsed.set(drivername="sqlite+aiosqlite") if parsed.get_backend_name() == "sqlite" else parsed


def _ensure_sqlite_directory(url: URL) -> None:
    """Create the SQLite file's folder (`./var/` by default). If that is impossible, connecting fails
    later with the real error, which readiness reports, rather than the app failing to build."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with contextlib.suppress(OSError):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)


#: Execution options for a connection that only reads: on SQLite it begins DEFERRED, not IMMEDIATE, so it
#: does not wait for the write lock.
READ_ONLY_BEGIN: dict[str, Any] = {"sqlite_begin": "DEFERRED"}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the driver from opening transactions on its own, so BEGIN/SAVEPOINT are SQLAlchemy's.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a commit is on disk before it returns, so an append that returned survives a power cut.
        cursor.execute("PRAGMA synchronous=FULL")
        # Reads go through memory-mapped pages and a 64 MiB page cache, not a system call per page: proofs
        # touch a few dozen pages scattered over a large file.
        cursor.execute("PRAGMA mmap_size=1073741824")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, waiting out the busy timeout. A plain BEGIN that reads
        # and then writes fails at once with "database is locked" when another writer committed in between
        # (SQLITE_BUSY_SNAPSHOT: no timeout helps). A reader that must not queue behind writers asks for
        # `READ_ONLY_BEGIN`. On the app's async engine the connection (`govhub.sqlite_connection`) takes
        # either as "begin when needed": reads take no lock there, and the lock is taken at the first write.
        driver = getattr(connection.connection, "driver_connection", None)
        if isinstance(driver, OneTripConnection):
            # Told directly: a statement through SQLAlchemy's execution costs more than the whole begin.
            driver.ask_to_begin()
            return
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def _mark_locking_reads(
    _connection: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _executemany: bool
) -> tuple[str, Any]:
    """SQLite has no `FOR UPDATE`, and SQLAlchemy leaves the clause out; the mark tells the connection
    (`govhub.sqlite_connection`) that this read guards a write, so it takes the write lock first."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None and getattr(compiled.statement, "_for_update_arg", None) is not None:
        return LOCKING_READ_MARK + statement, parameters
    return statement, parameters


def create_sync_engine(url: str | URL, **options: Any) -> Engine:
    parsed = sync_url(url)
    _ensure_sqlite_directory(parsed)
    if parsed.get_backend_name() == "postgresql":
        options.setdefault("connect_args", POSTGRES_CONNECT_ARGS)
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def create_async_engine(url: str | URL, *, pool_size: int = 10) -> AsyncEngine:
    parsed = async_url(url)
    _ensure_sqlite_directory(parsed)
    if parsed.get_backend_name() == "sqlite":
        engine = sqlalchemy_create_async_engine(
            parsed, async_creator=one_trip_connector(parsed.database or ":memory:")
        )
        _configure_sqlite(engine.sync_engine)
        event.listen(engine.sync_engine, "before_cursor_execute", _mark_locking_reads, retval=True)
        return engine
    return sqlalchemy_create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=POSTGRES_CONNECT_ARGS,
    )


def session_factory(bind: AsyncEngine | AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions that commit only where the unit of work says so. `create_savepoint` lets a test wrap the
    whole unit of work in an outer transaction and roll it back."""
    return async_sessionmaker(
        bind=bind, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    )


class Database:
    """The engine and session factory of one app node."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_async_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        self.point_reads: PointReader = PointReads(
            sync_url(settings.database_url), pool_size=settings.database_pool_size
        )

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session for one request: committed once when the handler returns, rolled back if it fails.
        A request that never used it (a point read answered it) pays for neither, nor for closing it."""
        session = self.sessions()
        try:
            yield session
            if session.in_transaction():
                await session.commit()
        except BaseException:
            if session.in_transaction():
                await session.rollback()
            raise
        finally:
            if session.in_transaction() or session.identity_map:
                await session.close()

    async def dispose(self) -> None:
        await self.point_reads.close()
        await self.engine.dispose()


# --- migrations -------------------------------------------------------------------------------------------


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


async def allow_inline(session: AsyncSession, seconds: float) -> None:
    """On SQLite, let this unit of work's writes run on the event loop for up to `seconds` in all (see
    `OneTripConnection.allow_inline`); nothing elsewhere. Begins the unit of work's transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if isinstance(driver, OneTripConnection):
        driver.allow_inline(seconds)
