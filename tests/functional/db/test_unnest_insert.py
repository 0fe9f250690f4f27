"""`govhub.db.insert_unnested`: rows in one statement, one array per column, stored as SQLAlchemy's own
INSERT stores them (JSON null is JSON, not SQL NULL; aware datetimes; NULLs; bytes; 64-bit integers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.db import insert_unnested, unnest_insert
from govhub.ledger.models import LedgerLeaf, LedgerLog
from govhub.registries.models import RegistryEntry, RegistryRecord
from tests.support.ledgers import create_ledger

ENTRIES = cast("Table", RegistryEntry.__table__)


def test_each_call_names_its_parameters_by_its_prefix() -> None:
    rows = [{"register_id": 1, "number": 1}, {"register_id": 1, "number": 2}]
    statement, arguments = unnest_insert(ENTRIES, rows, "e")
    assert arguments == {"e0": [1, 1], "e1": [1, 2]}
    assert "%(e0)s::INTEGER[]" in statement
    assert "%(e1)s::BIGINT[]" in statement
    assert statement == unnest_insert(ENTRIES, rows, "e")[0]  # the same text: prepared once


async def test_rows_are_stored_as_an_insert_stores_them(
    session: AsyncSession, settings: Settings, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("one statement of arrays is PostgreSQL's; SQLite inserts through executemany")
    await create_ledger(session, settings, "unnest", [b"first"], batch=1)
    log_id = await session.scalar(select(LedgerLog.id).where(LedgerLog.name == "unnest"))
    leaves = cast("Table", LedgerLeaf.__table__)
    big = 2**40
    await insert_unnested(
        session,
        leaves,
        [{"log_id": log_id, "idx": big, "data": b"\x00\xff"}, {"log_id": log_id, "idx": 7, "data": b""}],
    )
    stored = (
        await session.execute(select(LedgerLeaf.idx, LedgerLeaf.data).where(LedgerLeaf.log_id == log_id))
    ).all()
    assert sorted((idx, bytes(data)) for idx, data in stored) == [(0, b"first"), (7, b""), (big, b"\x00\xff")]

    records = cast("Table", RegistryRecord.__table__)
    assert {column.name for column in records.c} >= {"content", "updated_at"}
    when = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    statement, arguments = unnest_insert(
        records, [{"content": None, "updated_at": when}, {"content": {"a": [1, "x"]}, "updated_at": when}]
    )
    assert arguments["c0"] == ["null", '{"a": [1, "x"]}']  # JSON null, as SQLAlchemy's JSON type writes None
    assert arguments["c1"] == [when, when]
    assert "%(c0)s::text[]::json[]" in statement
