"""Rows of one table written the quickest way each backend has, in the session's unit of work: the table,
not the entity, so no ORM bookkeeping. SQLite by executemany (its statements cost no round trip);
PostgreSQL, a few rows (fewer than `FEW_ROWS`) as one statement of arrays (`unnest`), more by COPY (`copy`),
whose own round trips cost more than a few rows' parameters but which streams many at about twice an
executemany's rate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db.copy import copy_table_rows
from govhub.db.unnest import insert_unnested

#: Below this many rows, PostgreSQL takes them as one `unnest` statement; from it on, by COPY.
FEW_ROWS = 20


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (each with the same columns) into `table`."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
    elif len(rows) < FEW_ROWS:
        await insert_unnested(session, table, rows)
    else:
        await copy_table_rows(session, table, rows)
