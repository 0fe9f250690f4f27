"""An aiosqlite connection that pays one trip to its thread per statement, not four.

aiosqlite runs every call of the sqlite3 API on the connection's own thread, and SQLAlchemy's adapter
makes four such calls per statement (open a cursor, execute, fetch, close), each a hand-off between the
event loop and that thread. For the short indexed statements that most requests run, those hand-offs cost
more than SQLite's work. This connection executes, fetches every row and closes the sqlite3 cursor in one
call on the thread. Everything else (the thread, transactions, closing, stopping) is aiosqlite's own.

It buffers each result whole, as SQLAlchemy's adapter already does for every non-streaming cursor; govhub
reads large sets in bounded chunks, never through a streaming cursor.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

_Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[_Description, int, int | None, list[Any]]


class OneTripCursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses, with the result fetched by `execute`."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _keep(self, outcome: _Outcome) -> OneTripCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        return self._keep(await self._connection.run(_execute, sql, parameters or ()))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        return self._keep(await self._connection.run(_execute_many, sql, parameters))

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


def _outcome(cursor: sqlite3.Cursor) -> _Outcome:
    try:
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _execute(connection: sqlite3.Connection, sql: str, parameters: Sequence[Any]) -> _Outcome:
    return _outcome(connection.execute(sql, parameters))


def _execute_many(connection: sqlite3.Connection, sql: str, parameters: Iterable[Sequence[Any]]) -> _Outcome:
    return _outcome(connection.executemany(sql, parameters))


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, with cursors that make one trip to the thread per statement."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]  # SQLAlchemy enters it as a context
        return OneTripCursor(self)

    async def run(self, function: Any, *arguments: Any) -> Any:
        """`function(sqlite3_connection, *arguments)` on the connection's thread."""
        return await self._execute(lambda: function(self._conn, *arguments))  # type: ignore[no-untyped-call]


def one_trip_connector(database: str) -> Any:
    """An `async_creator` for SQLAlchemy's aiosqlite dialect. Transactions are SQLAlchemy's (the driver
    opens none of its own: `isolation_level=None`)."""
    if database != ":memory:":
        database = str(Path(database))

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(
            lambda: sqlite3.connect(database, isolation_level=None, check_same_thread=True),
            iter_chunk_size=64,
        )
        connection._thread.daemon = True  # as SQLAlchemy's dialect does: an open pool must not hang exit
        await connection
        return connection

    return connect
