"""An aiosqlite connection that pays one trip to its thread per statement, not four.

aiosqlite runs every call of the sqlite3 API on the connection's own thread, and SQLAlchemy's adapter
makes four such calls per statement (open a cursor, execute, fetch, close), each a hand-off between the
event loop and that thread. For the short indexed statements that most requests run, those hand-offs cost
more than SQLite's work. This connection executes, fetches every row and closes the sqlite3 cursor in one
call on the thread. Everything else (the thread, transactions, closing, stopping) is aiosqlite's own.

It buffers each result whole, as SQLAlchemy's adapter already does for every non-streaming cursor; govhub
reads large sets in bounded chunks, never through a streaming cursor.

Transactions begin when they first need to, and as what they need. SQLite allows one writer at a time,
and a unit of work that began `BEGIN IMMEDIATE` held that one lock from its first read to its commit:
through every ORM round, JWT signature and template rendered in between, and while other requests ran on
the event loop. Logins queued on it. Here, asked to begin (by `govhub.db.engine`'s `BEGIN IMMEDIATE`, or a
plain `BEGIN`), the connection begins nothing yet. Its first statement begins the transaction: a read
begins a reading one (WAL: a snapshot, no lock), a write (anything but SELECT and PRAGMA, SAVEPOINT
included) takes the engine's `WriteGate`, then `BEGIN IMMEDIATE`. A reading transaction that comes to
write takes the gate, ends its snapshot and begins `BEGIN IMMEDIATE`, on the newest data. A `SELECT ... FOR
UPDATE` (the clause SQLite has not: `govhub.db.engine` marks such statements) counts as a write.

So a unit of work reads a consistent snapshot until it first writes, and from then on holds the write lock
over the newest data until it commits. That is what PostgreSQL's READ COMMITTED, which every unit of work
runs at there, promises and more: whatever is correct on PostgreSQL (conditional updates, unique
constraints, a row lock taken before reading what it guards) is correct here. Most writes are flushed at
commit (sessions never autoflush), so the lock is held for milliseconds.

While a transaction holds the write lock its statements run inline, on the event loop, not on the
connection's thread: a hand-off there and back lets the loop run other requests' work in between, and
the lock waited through all of it (a login's writes held it four times as long as they needed). SQLite
answers an indexed write in microseconds, and the commit's sync in about a millisecond, for which no
other writer could go on anyway. Inline time is budgeted: once a transaction has spent `_INLINE_BUDGET_S`
on the loop (a bulk load), the rest of it goes back to the thread, and `executemany` always does.

Reads run inline too, each under a watch: SQLite calls a progress handler every few hundred virtual
machine steps, and a read that has run for `_INLINE_READ_S` is interrupted there and run again from the
start on the connection's thread (a SELECT has no effects, and an interrupted one leaves its transaction's
snapshot as it was). An indexed read takes tens of microseconds on the loop; on the thread it took
milliseconds, most of them spent waiting for the GIL the loop held (the switch interval is 5 ms), and a
request that makes a few reads paid that wait each time. A transaction's inline reads share
`_INLINE_READS_BUDGET_S`, past which its reads go to the thread, so no unit of work holds the loop for long.

The `WriteGate` is an asyncio lock among the connections of one engine, granted in order the moment the
previous writer ends. Without it writers would wait in SQLite's busy handler, which sleeps in steps of up
to 100 ms and wakes long after the lock came free. Writers in other processes still meet that handler.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

_Description = tuple[tuple[Any, ...], ...] | None
_BEGIN_WRITING = "BEGIN IMMEDIATE"
_ASKED_TO_BEGIN = frozenset({"BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED"})
#: Statements that only read (a `SELECT ... FOR UPDATE` is marked, and so is not among them).
_READING = ("SELECT", "PRAGMA", "select", "pragma")
#: Put before a `SELECT ... FOR UPDATE` by `govhub.db.engine`, which SQLite would otherwise run as a plain
#: read.
LOCKING_READ_MARK = "/* for update */ "
_NOTHING: _Outcome = (None, -1, None, [])
_INLINE_BUDGET_S = 0.005
#: Longest a read runs on the loop before it is interrupted and run again on the connection's thread.
_INLINE_READ_S = 0.002
#: What one transaction's (or autocommit statement's) reads may spend on the loop in all.
_INLINE_READS_BUDGET_S = 0.010
#: Virtual machine steps between two calls of the progress handler that watches an inline read.
_PROGRESS_STEPS = 500
#: How long a connection waits for a lock another process holds (`PRAGMA busy_timeout`, set by
#: `govhub.db.engine`).
BUSY_TIMEOUT_MS = 10_000
#: As long as the busy timeout: past it a writer tries SQLite's lock itself, and SQLite answers "database is
#: locked" if it is still held, as it would without the gate.
_GATE_TIMEOUT_S = BUSY_TIMEOUT_MS / 1000


class WriteGate:
    """One writing transaction at a time among an engine's connections, the next one let in as soon as
    the last one ends. One lock per event loop (an asyncio lock belongs to the loop that first waits on it,
    and a test suite runs several loops over one engine)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def enter(self) -> bool:
        """Waits for the gate; False when the wait timed out and the caller goes on without it."""
        lock = self._lock()
        try:
            async with asyncio.timeout(_GATE_TIMEOUT_S):
                await lock.acquire()
        except TimeoutError:
            return False
        return True

    def leave(self) -> None:
        self._lock().release()


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
        if sql in _ASKED_TO_BEGIN:
            self._connection.ask_to_begin()
            return self._keep(_NOTHING)
        await self._connection.before(sql)
        return self._keep(await self._connection.run_statement(sql, parameters or ()))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        await self._connection.before(sql)
        return self._keep(await self._connection.run_many(sql, parameters))

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


def _writes(sql: str) -> bool:
    return not sql.lstrip().startswith(_READING)


def _selects(sql: str) -> bool:
    return sql.lstrip().startswith(("SELECT", "select"))


class _ReadTooLong(Exception):
    """An inline read ran past its time and was interrupted: it is run again on the thread."""


def _execute_watched(
    connection: sqlite3.Connection, sql: str, parameters: Sequence[Any], limit: float
) -> _Outcome:
    """`_execute` for a SELECT on the event loop, interrupted by SQLite once it has run `limit` seconds."""
    deadline = time.perf_counter() + limit
    interrupted = False

    def watch() -> int:
        nonlocal interrupted
        interrupted = time.perf_counter() > deadline
        return int(interrupted)

    connection.set_progress_handler(watch, _PROGRESS_STEPS)
    try:
        return _execute(connection, sql, parameters)
    except sqlite3.OperationalError:
        if interrupted:
            raise _ReadTooLong from None
        raise
    finally:
        connection.set_progress_handler(None, 0)


def _commit(connection: sqlite3.Connection) -> None:
    connection.commit()


def _rollback(connection: sqlite3.Connection) -> None:
    connection.rollback()


def _end_reading(connection: sqlite3.Connection) -> None:
    connection.execute("COMMIT")  # ends the snapshot; nothing was written in it


def _begin_writing_at_once(connection: sqlite3.Connection) -> bool:
    """`BEGIN IMMEDIATE` if SQLite's lock is free now; False, beginning nothing, if another process holds
    it (this process's writers are behind the gate), for the caller to wait on the connection's thread."""
    connection.execute("PRAGMA busy_timeout=0")
    try:
        connection.execute(_BEGIN_WRITING)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return False
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return True


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, with cursors that make one trip to the thread per statement, and
    transactions that begin at their first statement, taking the engine's `WriteGate` to write."""

    def __init__(self, connector: Any, gate: WriteGate, **options: Any) -> None:
        super().__init__(connector, **options)
        self._gate = gate
        self._holds_gate = False
        #: "none", "asked" (begin asked for, nothing run yet), "reading" or "writing".
        self._transaction = "none"
        #: What is left of this writing transaction's time on the event loop.
        self._inline_left = _INLINE_BUDGET_S
        #: A larger budget this transaction asked for (`allow_inline`), executemany included.
        self._inline_allowed: float | None = None
        #: What is left of this transaction's time for reads on the event loop.
        self._reads_left = _INLINE_READS_BUDGET_S

    def cursor(self) -> OneTripCursor:  # type: ignore[override]  # SQLAlchemy enters it as a context
        return OneTripCursor(self)

    async def run_statement(self, sql: str, parameters: Sequence[Any]) -> _Outcome:
        """One statement: a SELECT outside a writing transaction inline while it is short (see the
        module's docstring), anything else as `run` runs it."""
        if self._transaction == "writing" or self._reads_left <= 0 or not _selects(sql):
            return await self.run(_execute, sql, parameters)  # type: ignore[no-any-return]
        started = time.perf_counter()
        try:
            return _execute_watched(self._conn, sql, parameters, min(_INLINE_READ_S, self._reads_left))
        except _ReadTooLong:
            self._reads_left = 0
            return await self.run_on_thread(_execute, sql, parameters)  # type: ignore[no-any-return]
        finally:
            self._reads_left -= time.perf_counter() - started

    def allow_inline(self, seconds: float) -> None:
        """Let this transaction's writes, `executemany` included, run on the event loop for `seconds` in
        all (0: none), and its commit, a disk sync, on the connection's thread: for a unit of work that
        writes for many requests at once (the gateway's message log), whose every trip to the thread and
        back waits behind those requests on a busy loop, and whose sync the loop need not wait through."""
        self._inline_allowed = seconds
        if self._transaction == "writing":
            self._inline_left = seconds

    async def run_many(self, sql: str, parameters: Iterable[Sequence[Any]]) -> _Outcome:
        if self._inline_allowed is not None and self._transaction == "writing" and self._inline_left > 0:
            return self._inline(_execute_many, sql, parameters)  # type: ignore[no-any-return]
        return await self.run_on_thread(_execute_many, sql, parameters)  # type: ignore[no-any-return]

    async def run(self, function: Any, *arguments: Any) -> Any:
        """`function(sqlite3_connection, *arguments)`: inline while this connection writes and its budget
        lasts, else on the connection's thread."""
        if self._transaction == "writing" and self._inline_left > 0:
            return self._inline(function, *arguments)
        return await self.run_on_thread(function, *arguments)

    async def run_on_thread(self, function: Any, *arguments: Any) -> Any:
        return await self._execute(lambda: function(self._conn, *arguments))  # type: ignore[no-untyped-call]

    def _inline(self, function: Any, *arguments: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(self._conn, *arguments)
        finally:
            self._inline_left -= time.perf_counter() - started

    def ask_to_begin(self) -> None:
        self._transaction = "asked"
        self._reads_left = _INLINE_READS_BUDGET_S

    async def before(self, sql: str) -> None:
        """Begins the transaction `sql` needs, if it is not begun yet (see the module's docstring)."""
        state = self._transaction
        if state == "writing" or not _writes(sql):
            if state == "asked":
                self._inline(_execute, "BEGIN", ())  # a deferred BEGIN takes no lock and reads nothing
                self._transaction = "reading"
            return
        if state == "none":
            return  # a statement on its own, outside any transaction (SQLite locks for it alone)
        self._holds_gate = await self._gate.enter()
        try:
            # Inline, unless another process holds the lock: SQLite's busy handler then waits for it, on
            # the connection's thread.
            if state == "reading":
                self._inline(_end_reading)
            if not self._inline(_begin_writing_at_once):
                await self.run_on_thread(_execute, _BEGIN_WRITING, ())
        except BaseException:
            self._transaction = "none"
            self._leave_gate()
            raise
        self._transaction = "writing"
        self._inline_left = _INLINE_BUDGET_S if self._inline_allowed is None else self._inline_allowed

    def _leave_gate(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            self._gate.leave()

    async def _end(self, ending: Any) -> None:
        try:
            # SQLite's own word too: a statement run outside SQLAlchemy's transactions may have begun one.
            open_one = self._connection is not None and self._connection.in_transaction
            if self._transaction == "reading":
                self._inline(ending)  # ends a snapshot: nothing to write or sync
            elif self._inline_allowed is not None:
                await self.run_on_thread(ending)
            elif self._transaction == "writing" or open_one:
                await self.run(ending)
        finally:
            self._transaction = "none"
            self._reads_left = _INLINE_READS_BUDGET_S
            self._inline_allowed = None
            self._leave_gate()

    async def commit(self) -> None:
        await self._end(_commit)

    async def rollback(self) -> None:
        await self._end(_rollback)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._transaction = "none"
            self._leave_gate()


def one_trip_connector(database: str) -> Any:
    """An `async_creator` for SQLAlchemy's aiosqlite dialect. Transactions are SQLAlchemy's (the driver
    opens none of its own: `isolation_level=None`)."""
    if database != ":memory:":
        database = str(Path(database))
    gate = WriteGate()

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(
            # Used from the loop's thread as well as its own (writes run inline), never from both at once:
            # each call is awaited before the next is made.
            lambda: sqlite3.connect(database, isolation_level=None, check_same_thread=False),
            gate,
            iter_chunk_size=64,
        )
        connection._thread.daemon = True  # as SQLAlchemy's dialect does: an open pool must not hang exit
        await connection
        return connection

    return connect
