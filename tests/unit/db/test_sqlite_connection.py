"""The one-trip aiosqlite connection: what SQLAlchemy reads of a cursor (rows, description, rowcount,
lastrowid) is right after the single trip, and driver errors arrive as sqlite3's own."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from govhub.db import create_async_engine
from govhub.db.sqlite_connection import LOCKING_READ_MARK, OneTripConnection, one_trip_connector


async def test_one_trip_cursor_keeps_what_sqlalchemy_reads(tmp_path: Path) -> None:
    connection: OneTripConnection = await one_trip_connector(str(tmp_path / "t.db"))()
    try:
        cursor = connection.cursor()
        async with cursor:
            await cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            await cursor.execute("INSERT INTO t (name) VALUES (?)", ("a",))
            assert (cursor.rowcount, cursor.lastrowid) == (1, 1)
            await cursor.executemany("INSERT INTO t (name) VALUES (?)", [("b",), ("c",), ("d",)])
            assert cursor.rowcount == 3
            await cursor.execute("UPDATE t SET name = name || '!' WHERE id > ?", (2,))
            assert cursor.rowcount == 2
            await cursor.execute("SELECT id, name FROM t ORDER BY id")
            assert cursor.description is not None
            assert [column[0] for column in cursor.description] == ["id", "name"]
            assert await cursor.fetchone() == (1, "a")
            assert await cursor.fetchmany(2) == [(2, "b"), (3, "c!")]
            assert await cursor.fetchall() == [(4, "d!")]
            assert await cursor.fetchone() is None
            with pytest.raises(sqlite3.IntegrityError):
                await cursor.execute("INSERT INTO t (name) VALUES ('a')")
    finally:
        await connection.close()


async def test_the_connection_runs_on_its_own_thread(tmp_path: Path) -> None:
    """Statements still leave the event loop: a write waiting for SQLite's lock never blocks it."""
    connection: OneTripConnection = await one_trip_connector(str(tmp_path / "t.db"))()
    try:
        thread = await connection.run(lambda _sqlite: threading.get_ident())
        assert thread != threading.get_ident()
    finally:
        await connection.close()


async def _run(connection: OneTripConnection, sql: str, *parameters: object) -> list[Any]:
    cursor = await connection.cursor().execute(sql, parameters)
    return await cursor.fetchall()


async def test_writers_queue_at_the_gate_and_readers_do_not(tmp_path: Path) -> None:
    """A second writer waits on the event loop, not in SQLite's busy handler, and is let in as soon as the
    first commits; a reader never waits; a rollback and closing the connection open the gate too."""
    connect = one_trip_connector(str(tmp_path / "t.db"))
    first, second, reader = await connect(), await connect(), await connect()
    try:
        await _run(first, "PRAGMA journal_mode=WAL")
        await _run(first, "CREATE TABLE t (n INTEGER)")
        await _run(first, "BEGIN IMMEDIATE")
        await _run(first, "INSERT INTO t VALUES (1)")
        await _run(reader, "BEGIN IMMEDIATE")  # begins nothing until it must
        assert await asyncio.wait_for(_run(reader, "SELECT count(*) FROM t"), 1) == [(0,)]
        await reader.commit()
        entered: list[str] = []

        async def second_writer() -> None:
            await _run(second, "BEGIN IMMEDIATE")
            await _run(second, "INSERT INTO t VALUES (2)")
            entered.append("second")
            await second.rollback()

        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.05)
        assert entered == []  # queued behind the first writer
        await first.commit()
        await asyncio.wait_for(waiting, 1)
        assert entered == ["second"]

        await _run(first, "BEGIN IMMEDIATE")
        await asyncio.wait_for(_run(first, "INSERT INTO t VALUES (3)"), 1)  # the rollback opened the gate
        await first.close()  # and so does closing mid-transaction
        await _run(second, "BEGIN IMMEDIATE")
        await asyncio.wait_for(_run(second, "INSERT INTO t VALUES (4)"), 1)
        await second.commit()
        assert await _run(reader, "SELECT n FROM t ORDER BY n") == [(1,), (4,)]
    finally:
        for connection in (first, second, reader):
            await connection.close()


async def test_a_reading_transaction_that_writes_does_so_on_the_newest_data(tmp_path: Path) -> None:
    """Its snapshot ends when it first writes: SQLite would refuse that write (SQLITE_BUSY_SNAPSHOT) after
    another writer's commit; here it goes ahead, and reads after it see the other writer's row."""
    connect = one_trip_connector(str(tmp_path / "t.db"))
    slow, quick = await connect(), await connect()
    try:
        await _run(slow, "PRAGMA journal_mode=WAL")  # as govhub.db sets it: readers and a writer at once
        await _run(slow, "CREATE TABLE t (n INTEGER)")
        await _run(slow, "BEGIN")
        assert await _run(slow, "SELECT count(*) FROM t") == [(0,)]
        await _run(quick, "BEGIN IMMEDIATE")
        await _run(quick, "INSERT INTO t VALUES (1)")
        await quick.commit()
        assert await _run(slow, "SELECT count(*) FROM t") == [(0,)]  # its snapshot
        await _run(slow, "UPDATE t SET n = n + 10")
        assert await _run(slow, "SELECT n FROM t") == [(11,)]
        await slow.commit()
    finally:
        await slow.close()
        await quick.close()


async def test_a_marked_locking_read_takes_the_write_lock(tmp_path: Path) -> None:
    connect = one_trip_connector(str(tmp_path / "t.db"))
    locking, writer = await connect(), await connect()
    try:
        await _run(locking, "CREATE TABLE t (n INTEGER)")
        await _run(locking, "BEGIN IMMEDIATE")
        await _run(locking, f"{LOCKING_READ_MARK}SELECT n FROM t")  # noqa: S608 (a constant)
        await _run(writer, "BEGIN IMMEDIATE")
        blocked = asyncio.create_task(_run(writer, "INSERT INTO t VALUES (1)"))
        await asyncio.sleep(0.05)
        assert not blocked.done()
        await locking.rollback()
        await asyncio.wait_for(blocked, 1)
        await writer.commit()
    finally:
        await locking.close()
        await writer.close()


async def test_the_engine_marks_select_for_update_as_a_locking_read(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite:///{tmp_path / 't.db'}")
    table = Table("t", MetaData(), Column("n", Integer))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(table.metadata.create_all)
        async with engine.connect() as locking, engine.connect() as writer:
            await locking.begin()
            await locking.execute(select(table.c.n).with_for_update())
            await writer.begin()
            blocked = asyncio.create_task(writer.execute(insert(table).values(n=1)))
            await asyncio.sleep(0.05)
            assert not blocked.done()
            await locking.rollback()
            await asyncio.wait_for(blocked, 1)
            await writer.commit()
    finally:
        await engine.dispose()


async def test_a_writer_waits_for_another_process_off_the_event_loop(tmp_path: Path) -> None:
    """Another process's lock is not the gate's to know: the writer begins on the connection's thread,
    where SQLite's busy handler waits, and the event loop goes on meanwhile."""
    path = tmp_path / "t.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE t (n INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    writer = await one_trip_connector(str(path))()
    try:
        await _run(writer, "PRAGMA busy_timeout=5000")
        await _run(writer, "BEGIN IMMEDIATE")
        blocked = asyncio.create_task(_run(writer, "INSERT INTO t VALUES (2)"))
        ticks = 0
        while ticks < 5:  # the loop is free while the writer waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not blocked.done()
        other.execute("COMMIT")
        await asyncio.wait_for(blocked, 5)
        await writer.commit()
        assert await _run(writer, "SELECT n FROM t ORDER BY n") == [(1,), (2,)]
    finally:
        other.close()
        await writer.close()
