"""Bulk writes on PostgreSQL: COPY, and generic plans for the foreign-key checks of a large insert.

COPY streams rows to the server in one statement, without the per-row parameter handling of an executemany
(twice as fast for a register's bulk load). Errors come back as SQLAlchemy's, as any other statement's
would (a unique violation is an `IntegrityError` whose constraint name `govhub.kit.constraints` reads)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import JSON, DateTime, Table, TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


@asynccontextmanager
async def generic_plans(connection: AsyncConnection) -> AsyncIterator[None]:
    """Within the block, PostgreSQL's own plan cache mode (`auto`) instead of the `force_custom_plan` every
    connection has (`postgres_options`): for statements that insert many rows into tables with foreign
    keys. Each row's foreign-key check is a query of the referenced table's key, which PostgreSQL plans
    once and keeps, unless every run must be planned afresh: forced custom plans doubled the server's
    time for a register's entries (5,000 rows, two foreign keys each: 110 against 55 ms) and added a
    third to its records'. Nothing else runs in the block: the key lookups that need custom plans stay
    outside. After an error the setting is not put back here: ending or rolling back the transaction (or
    its savepoint) does, as it undoes every `SET LOCAL`. No-op on SQLite."""
    if connection.dialect.name != "postgresql":
        yield
        return
    await connection.exec_driver_sql("SET LOCAL plan_cache_mode = auto")
    yield
    await connection.exec_driver_sql("SET LOCAL plan_cache_mode TO DEFAULT")


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append `rows` (values in the order of `columns`, in their text form or Python values psycopg
    writes as text) to `table`, in the session's transaction, reading them from `rows` as they are sent:
    the server stores the first while the caller makes the next. PostgreSQL only."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, psycopg.AsyncConnection):
        raise TypeError("COPY needs a psycopg connection (PostgreSQL)")
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    try:
        async with generic_plans(connection), driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                await copy.write_row(row)
    except psycopg.IntegrityError as error:
        raise IntegrityError(f"COPY {table}", None, error) from error
    except psycopg.Error as error:
        raise DBAPIError(f"COPY {table}", None, error) from error


async def copy_table_rows(session: AsyncSession, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """`copy_rows` for rows of `table` given as mappings, each with the columns of the first, read from
    `rows` as they are sent, their values spelt as SQLAlchemy would bind them (`_CopyValues`)."""
    remaining = iter(rows)
    first = next(remaining, None)
    if first is None:
        return
    # COPY is not a statement the session sees: write out whatever it holds first, as it would.
    await session.flush()
    values = _CopyValues(table, list(first))
    await copy_rows(session, table.name, values.columns, map(values, itertools.chain([first], remaining)))


class _CopyValues:
    """A row's values as COPY is sent them: JSON as SQLAlchemy's JSON type writes it (json.dumps; None is
    JSON null, not SQL NULL), a type decorator's `process_bind_param` applied, and times in ISO 8601, each
    spelt once for the rows that share it (the rows of a batch share their time, which psycopg would format
    again for each)."""

    def __init__(self, table: Table, columns: list[str]) -> None:
        self.columns = columns
        self.types = [table.c[name].type for name in columns]
        self.kinds = [_kind(column_type) for column_type in self.types]
        self.time: datetime | None = None
        self.time_text = ""

    def __call__(self, row: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, column_type, kind in zip(self.columns, self.types, self.kinds, strict=True):
            value = row[name]
            if kind is _JSON:
                value = json.dumps(value)
            elif kind is _TIME and value is not None:
                if value is not self.time:
                    bound = (
                        column_type.process_bind_param(value, _DIALECT)
                        if isinstance(column_type, TypeDecorator)
                        else value
                    )
                    self.time, self.time_text = value, bound.isoformat()
                value = self.time_text
            values.append(value)
        return values


_PLAIN, _JSON, _TIME = "plain", "json", "time"


def _kind(column_type: Any) -> str:
    if isinstance(column_type, JSON):
        return _JSON
    implemented = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    return _TIME if isinstance(implemented, DateTime) else _PLAIN
