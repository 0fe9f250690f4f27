"""The custom SQLite connection's rarer branches (an inline read interrupted and run again on the thread,
`executemany` inline), and a tripwire for the private parts of aiosqlite it is built on."""

from __future__ import annotations

import inspect
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text

from govhub.db import Database
from govhub.db.engine import BATCH_INLINE_RECORDS
from govhub.db.sqlite_connection import OneTripConnection, one_trip_connector
from tests.conftest import make_settings

#: A read that runs far longer than `_INLINE_READ_S` on the loop (a few hundred milliseconds). It begins
#: with SELECT: a statement that begins with WITH counts as a write (`_writes`).
_LONG_READ = (
    "SELECT {before}count(*) FROM "
    "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000) SELECT n FROM c)"
)


async def _run(connection: OneTripConnection, sql: str, *parameters: object) -> list[Any]:
    cursor = await connection.cursor().execute(sql, parameters)
    return await cursor.fetchall()


class _ThreadRecorder:
    """Wraps a connection's `run_on_thread`, counting what went to the connection's thread."""

    def __init__(self, connection: OneTripConnection) -> None:
        self.calls = 0
        self._run_on_thread = connection.run_on_thread
        connection.run_on_thread = self  # type: ignore[method-assign]

    async def __call__(self, function: Any, *arguments: Any) -> Any:
        self.calls += 1
        return await self._run_on_thread(function, *arguments)


async def test_an_inline_read_that_runs_too_long_is_run_again_on_the_thread(tmp_path: Path) -> None:
    """Interrupted on the loop past `_INLINE_READ_S`, the SELECT is run again from the start on the
    connection's thread, with the whole answer; the transaction's later reads go to the thread too."""
    connection = await one_trip_connector(str(tmp_path / "t.db"))()
    try:
        recorder = _ThreadRecorder(connection)
        await _run(connection, "BEGIN")
        assert await _run(connection, _LONG_READ.format(before="")) == [(1_000_000,)]
        assert recorder.calls == 1  # the re-run
        assert await _run(connection, "SELECT 1") == [(1,)]
        assert recorder.calls == 2  # the read budget is spent: no more inline reads in this transaction
        await connection.commit()
        assert await _run(connection, "SELECT 2") == [(2,)]
        assert recorder.calls == 2  # a new transaction has its budget back, and reads inline again
    finally:
        await connection.close()


async def test_an_interrupted_read_leaves_its_snapshot_as_it_was(tmp_path: Path) -> None:
    """A SELECT has no effects: run again, it reads the same snapshot the transaction began on, even after
    another connection committed in between."""
    connect = one_trip_connector(str(tmp_path / "t.db"))
    reader, writer = await connect(), await connect()
    try:
        await _run(reader, "PRAGMA journal_mode=WAL")
        await _run(reader, "CREATE TABLE t (n INTEGER)")
        await _run(reader, "INSERT INTO t VALUES (1)")
        await _run(reader, "BEGIN")
        assert await _run(reader, "SELECT count(*) FROM t") == [(1,)]
        await _run(writer, "BEGIN IMMEDIATE")
        await _run(writer, "INSERT INTO t VALUES (2)")
        await writer.commit()
        long_count = _LONG_READ.format(before="(SELECT count(*) FROM t), ")
        assert await _run(reader, long_count) == [(1, 1_000_000)]
        await reader.commit()
        assert await _run(reader, "SELECT count(*) FROM t") == [(2,)]
    finally:
        await reader.close()
        await writer.close()


async def test_an_inline_read_that_fails_for_another_reason_raises_as_sqlite_does(tmp_path: Path) -> None:
    connection = await one_trip_connector(str(tmp_path / "t.db"))()
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await _run(connection, "SELECT * FROM missing")
    finally:
        await connection.close()


def _rows_recording_thread(threads: list[int], count: int) -> Iterator[Sequence[Any]]:
    """Parameters for `executemany`; sqlite3 draws them on the thread that runs the statement."""
    for n in range(count):
        threads.append(threading.get_ident())
        yield (n,)


@pytest.mark.parametrize(
    ("allowed", "inline"),
    [(None, False), (0.0, False), (1.0, True)],
    ids=["not-allowed", "allowed-none", "allowed"],
)
async def test_executemany_runs_inline_only_when_the_transaction_allows_it(
    tmp_path: Path, allowed: float | None, *, inline: bool
) -> None:
    connection = await one_trip_connector(str(tmp_path / "t.db"))()
    try:
        await _run(connection, "CREATE TABLE t (n INTEGER)")
        await _run(connection, "BEGIN IMMEDIATE")
        if allowed is not None:
            connection.allow_inline(allowed)
        threads: list[int] = []
        cursor = await connection.cursor().executemany(
            "INSERT INTO t VALUES (?)", _rows_recording_thread(threads, 5)
        )
        assert cursor.rowcount == 5
        await connection.commit()
        assert set(threads) == ({threading.get_ident()} if inline else {connection._thread.ident})
        assert await _run(connection, "SELECT count(*) FROM t") == [(5,)]
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("records", "inline"), [(BATCH_INLINE_RECORDS, True), (BATCH_INLINE_RECORDS - 1, False)]
)
async def test_a_batch_session_writes_a_large_batch_on_the_loop(
    tmp_path: Path, records: int, *, inline: bool
) -> None:
    """`Database.batch_session`: a large batch's writes on the event loop, a small one's on the thread."""
    database = Database(make_settings(f"sqlite:///{tmp_path / 't.db'}"))
    try:
        async with database.sessions() as session:
            await session.execute(text("CREATE TABLE t (thread INTEGER)"))
            await session.commit()
        async with database.batch_session(records) as session:
            raw = await (await session.connection()).get_raw_connection()
            driver = raw.driver_connection
            assert isinstance(driver, OneTripConnection)
            driver._conn.create_function("thread_id", 0, threading.get_ident)
            await session.execute(text("INSERT INTO t VALUES (thread_id())"), [{}] * records)
            await session.commit()
        async with database.sessions() as session:
            threads = set((await session.execute(text("SELECT thread FROM t"))).scalars())
        assert (threads == {threading.get_ident()}) is inline
    finally:
        await database.dispose()


_UPGRADE_ADVICE = (
    "aiosqlite {version} no longer has what govhub.db.sqlite_connection relies on: {what}. Check "
    "OneTripConnection against the new aiosqlite (its __init__, _execute, _conn, _connection and _thread), "
    "or run with GOVHUB_SQLITE_DRIVER=stock until it is fixed, and keep aiosqlite below this version."
)


def _tripwire(condition: bool, what: str) -> None:
    if not condition:
        pytest.fail(_UPGRADE_ADVICE.format(version=aiosqlite.__version__, what=what))


async def test_aiosqlite_still_has_the_private_parts_the_custom_connection_uses(tmp_path: Path) -> None:
    """A tripwire: fails, saying what to check, when an aiosqlite upgrade changes the private attributes
    and behaviour `OneTripConnection` is built on."""
    parameters = inspect.signature(aiosqlite.Connection.__init__).parameters
    _tripwire(
        list(parameters)[:3] == ["self", "connector", "iter_chunk_size"],
        f"Connection.__init__(connector, iter_chunk_size) (it takes {list(parameters)})",
    )
    _tripwire(
        inspect.iscoroutinefunction(getattr(aiosqlite.Connection, "_execute", None)),
        "the coroutine Connection._execute(fn, *args)",
    )
    _tripwire(
        isinstance(getattr(aiosqlite.Connection, "_conn", None), property), "the property Connection._conn"
    )
    for name in ("cursor", "commit", "rollback", "close", "__await__"):
        _tripwire(callable(getattr(aiosqlite.Connection, name, None)), f"Connection.{name}")

    connection = await one_trip_connector(str(tmp_path / "t.db"))()
    try:
        _tripwire(isinstance(getattr(connection, "_thread", None), threading.Thread), "Connection._thread")
        _tripwire(
            connection._thread.daemon, "a Connection._thread that can be made a daemon before it starts"
        )
        _tripwire(
            isinstance(getattr(connection, "_connection", None), sqlite3.Connection),
            "Connection._connection, the sqlite3 connection (None once closed)",
        )
        _tripwire(connection._conn is connection._connection, "Connection._conn returning _connection")
        on_thread = await connection._execute(threading.get_ident)
        _tripwire(on_thread == connection._thread.ident, "Connection._execute running on Connection._thread")
    finally:
        await connection.close()
    _tripwire(connection._connection is None, "Connection.close() leaving _connection None")
