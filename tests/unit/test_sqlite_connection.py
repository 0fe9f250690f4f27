"""The one-trip aiosqlite connection: what SQLAlchemy reads of a cursor (rows, description, rowcount,
lastrowid) is right after the single trip, and driver errors arrive as sqlite3's own."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from govhub.sqlite_connection import OneTripConnection, one_trip_connector


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
