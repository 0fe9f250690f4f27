"""Bulk writes through PostgreSQL's COPY, in a session's unit of work: rows stream to the server in one
statement, without the per-row parameter handling of an executemany (twice as fast for a register's bulk
load). Errors come back as SQLAlchemy's, as any other statement's would (a unique violation is an
`IntegrityError` whose constraint name `govhub.kit.constraints` reads)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append `rows` (values in the order of `columns`, in their text form or Python values psycopg
    writes as text) to `table`, in the session's transaction. PostgreSQL only."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, psycopg.AsyncConnection):
        raise TypeError("COPY needs a psycopg connection (PostgreSQL)")
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    try:
        async with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                await copy.write_row(row)
    except psycopg.IntegrityError as error:
        raise IntegrityError(f"COPY {table}", None, error) from error
    except psycopg.Error as error:
        raise DBAPIError(f"COPY {table}", None, error) from error
