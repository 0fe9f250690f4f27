"""Point reads: one statement that finds at most a few rows through unique indexes, run outside any unit
of work, for the hottest public reads (an open register's record by key).

A request's unit of work costs more than such a read: on SQLite each statement is a hand-off to
aiosqlite's thread and back, on PostgreSQL BEGIN and ROLLBACK are round trips of their own. Here:
- SQLite: a read-only connection (`query_only`) of the app node, used directly on the event loop. In WAL
  mode a reader never waits for a writer, and an index lookup takes microseconds, less than the hand-off
  it saves. Only bounded statements may come here: a scan would stall every request of the node.
- PostgreSQL: a small pool of psycopg connections of its own, in autocommit, so the statement is the only
  round trip (SQLAlchemy's pool checkout, ping and reset cost more than that round trip). Its statements
  are planned once per connection for any parameters, with sequential scans ruled out: planning every
  execution would double a point read's cost, and a plan made while a table was small must not become a
  scan of it later. Statements here must read through unique indexes.

A point read is an optimisation and never the only way to an answer: `None` means "not found here, or
not answerable now" (busy database, in-memory database), and the caller takes its ordinary path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.engine import URL

#: How long an inline SQLite read may wait for a lock (only WAL recovery takes one from a reader) before
#: the caller falls back to its ordinary path.
_SQLITE_BUSY_MS = 50
#: How long a point read waits for one of its PostgreSQL connections before falling back.
_POSTGRES_WAIT_S = 1.0

_POINT_READ_PLANNING = "-c plan_cache_mode=force_generic_plan -c enable_seqscan=off"

_log = logging.getLogger(__name__)


class PointReader(Protocol):
    async def one(self, statement: str, parameters: Mapping[str, Any]) -> Sequence[Any] | None: ...

    async def close(self) -> None: ...


class PointReads:
    """The app node's point reader for its configured database."""

    def __init__(self, url: URL, *, pool_size: int) -> None:
        self._url = url
        self._pool_size = pool_size
        self._sqlite_path = _file_database(url)
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: AsyncConnectionPool | None = None
        #: One of the pool's connections, with its cursor, kept out of it between reads: a read that
        #: finds it free skips the pool's checkout and return and a new cursor (a quarter of the read's
        #: own time on the client). Reads in flight beside it take the pool's other connections.
        self._ready: tuple[psycopg.AsyncConnection[Any], psycopg.AsyncCursor[Any]] | None = None
        self._opening = asyncio.Lock()

    async def one(self, statement: str, parameters: Mapping[str, Any]) -> Sequence[Any] | None:
        """The first row of `statement` (SQL both backends read alike, with `:named` parameters), or
        None."""
        if self._sqlite_path is not None:
            return self._sqlite_row(self._sqlite_path, statement, parameters)
        if self._url.get_backend_name() != "postgresql":
            return None  # an in-memory SQLite database is one connection's own: nothing else sees it
        try:
            row = await self._postgres_row(_pyformat(statement), dict(parameters))
        except (psycopg.Error, PoolTimeout, OSError) as error:
            _log.warning("point read fell back to the unit of work: %s", type(error).__name__)
            return None
        return None if row is None else tuple(row)

    async def _postgres_row(self, statement: str, parameters: dict[str, Any]) -> Sequence[Any] | None:
        pool = self._postgres or await self._open_postgres()
        ready, self._ready = self._ready, None
        if ready is None:
            connection = await pool.getconn(timeout=_POSTGRES_WAIT_S)
            ready = connection, connection.cursor()
        connection, cursor = ready
        try:
            await cursor.execute(statement, parameters)
            row = await cursor.fetchone()
        except BaseException:
            await pool.putconn(connection)  # the pool closes a connection left broken or busy
            raise
        if not self._kept_ready(ready):
            await pool.putconn(connection)
        return row

    def _kept_ready(self, ready: tuple[psycopg.AsyncConnection[Any], psycopg.AsyncCursor[Any]]) -> bool:
        """Keeps the connection for the next read unless a read beside this one already has."""
        if self._ready is not None:
            return False
        self._ready = ready
        return True

    async def _open_postgres(self) -> AsyncConnectionPool:
        async with self._opening:
            if self._postgres is None:
                conninfo = self._url.set(drivername="postgresql").render_as_string(hide_password=False)
                pool = AsyncConnectionPool(
                    conninfo,
                    min_size=1,
                    max_size=self._pool_size,
                    kwargs={"autocommit": True, "options": _POINT_READ_PLANNING},
                    open=False,
                    name="govhub-point-reads",
                )
                await pool.open(wait=False)
                self._postgres = pool
            return self._postgres

    def _sqlite_row(self, path: str, statement: str, parameters: Mapping[str, Any]) -> Sequence[Any] | None:
        try:
            connection = self._sqlite_connection(path)
            row: Sequence[Any] | None = connection.execute(statement, dict(parameters)).fetchone()
        except sqlite3.Error:
            return None
        return row

    def _sqlite_connection(self, path: str) -> sqlite3.Connection:
        if self._sqlite is None:
            # Opened on first use and used only from the event loop, one statement at a time.
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA query_only=ON")
            connection.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
            connection.execute("PRAGMA mmap_size=1073741824")
            self._sqlite = connection
        return self._sqlite

    async def close(self) -> None:
        if self._sqlite is not None:
            with contextlib.suppress(sqlite3.Error):
                self._sqlite.close()
            self._sqlite = None
        if self._postgres is not None:
            if self._ready is not None:
                await self._postgres.putconn(self._ready[0])
                self._ready = None
            await self._postgres.close()
            self._postgres = None


def _file_database(url: URL) -> str | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


@functools.cache  # statements are the repositories' constants: a few dozen texts
@functools.cache
def _pyformat(statement: str) -> str:
    """`:name` parameters as psycopg's `%(name)s` (statements here use no `::` casts)."""
    return _NAMED_PARAMETER.sub(r"%(\1)s", statement)


_NAMED_PARAMETER = re.compile(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)")


def json_value(stored: Any) -> Any:
    """A JSON column as read by a point read: text on SQLite, already decoded by psycopg on PostgreSQL."""
    return json.loads(stored) if isinstance(stored, (str, bytes)) else stored
