"""Engines for SQLite and PostgreSQL, sessions, and the app node's `Database`.

One URL setting picks the backend. Request handling is async (aiosqlite or psycopg); Alembic and the CLI
use the same URL with a synchronous driver. SQLite gets the settings that make it a dependable embedded
database: WAL, foreign keys, a busy timeout, and transactions that SQLAlchemy controls (so SAVEPOINT works).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sqlalchemy_create_async_engine

from govhub.config import Settings, SqliteDriver
from govhub.db.point_reads import PointReader, PointReads
from govhub.db.postgres_options import POSTGRES_CONNECT_ARGS
from govhub.db.sqlite_connection import (
    BUSY_TIMEOUT_MS,
    LOCKING_READ_MARK,
    OneTripConnection,
    one_trip_connector,
)


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
        # `READ_ONLY_BEGIN`. On the app's async engine the connection (`govhub.db.sqlite_connection`) takes
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
    (`govhub.db.sqlite_connection`) that this read guards a write, so it takes the write lock first."""
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


def create_async_engine(
    url: str | URL, *, pool_size: int = 10, sqlite_driver: SqliteDriver = SqliteDriver.ONE_TRIP
) -> AsyncEngine:
    """The app's engine. On SQLite its connections are `govhub.db.sqlite_connection`'s, unless
    `sqlite_driver` asks for aiosqlite's stock connection (`GOVHUB_SQLITE_DRIVER=stock`): slower, and every
    unit of work then takes SQLite's write lock at its `BEGIN IMMEDIATE`, but it relies on no private part
    of aiosqlite, for the day an upgrade breaks the custom one."""
    parsed = async_url(url)
    _ensure_sqlite_directory(parsed)
    if parsed.get_backend_name() == "sqlite":
        if sqlite_driver is SqliteDriver.STOCK:
            engine = sqlalchemy_create_async_engine(parsed)
            _configure_sqlite(engine.sync_engine)
            return engine
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

    def __init__(
        self,
        settings: Settings,
        *,
        bind: AsyncConnection | None = None,
        point_reads: PointReader | None = None,
    ) -> None:
        """`bind` and `point_reads` are the tests' seam (`create_app(settings, database=...)`): units of work
        that join a test's connection (its transaction rolled back afterwards) and point reads on it. The
        engine is the app's own either way (readiness and start-up read the migration status through it)."""
        self.engine = create_async_engine(
            settings.database_url, pool_size=settings.database_pool_size, sqlite_driver=settings.sqlite_driver
        )
        self.sessions = session_factory(self.engine if bind is None else bind)
        self.point_reads: PointReader = point_reads or PointReads(
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

    @contextlib.asynccontextmanager
    async def batch_session(self, records: int) -> AsyncIterator[AsyncSession]:
        """A session for a unit of work that writes `records` records for many requests at once (the
        gateway's message log), which it commits itself. Its transaction is begun.

        On SQLite a large batch's few statements write many rows, and run on the event loop, where a trip
        to the connection's thread and back would wait behind every request the loop is serving. A small
        batch (a light load) goes to the thread, so the next request is not kept waiting by it. The
        commit's disk sync is made on the thread either way. Elsewhere this is a plain session."""
        async with self.sessions() as session:
            await _allow_inline(session, BATCH_INLINE_SECONDS if records >= BATCH_INLINE_RECORDS else 0.0)
            yield session

    async def dispose(self) -> None:
        await self.point_reads.close()
        await self.engine.dispose()


#: How long one batch's writes may hold the event loop (SQLite), about 10 ms per 100 records, for batches
#: of at least `BATCH_INLINE_RECORDS` records (`Database.batch_session`).
BATCH_INLINE_SECONDS = 0.05
BATCH_INLINE_RECORDS = 8


async def _allow_inline(session: AsyncSession, seconds: float) -> None:
    """On SQLite, let this unit of work's writes run on the event loop for up to `seconds` in all (see
    `OneTripConnection.allow_inline`); nothing elsewhere. Begins the unit of work's transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if isinstance(driver, OneTripConnection):
        driver.allow_inline(seconds)
