"""A few rows in one PostgreSQL statement: `INSERT ... SELECT * FROM unnest(<one array per column>)`.

An executemany sends and runs one statement per row (psycopg pipelines them, but the server still parses,
binds and executes each, and the client builds each row's parameters); COPY costs extra round trips of its
own. For the handful of rows a group commit writes (a record and an entry per waiting caller), one
statement with one array parameter per column is one send and one execution, whatever the number of rows,
and its text depends only on the table and columns, so psycopg prepares it once per connection.

The statement is text for the driver (`exec_driver_sql`), so that callers can put it inside a `WITH` of a
larger statement (the registries write a batch's entries and their register's count in one). Values are
bound as SQLAlchemy would bind them: JSON columns are encoded by `json.dumps` (None is JSON null, as
SQLAlchemy's JSON type writes it), type decorators' `process_bind_param` is applied.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


@functools.cache
def _unnest_insert(table: Table, columns: tuple[str, ...], prefix: str) -> str:
    casts: list[str] = []
    for position, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            # psycopg sends a list of str as text[]; each element is cast to json on the way in.
            casts.append(f"%({prefix}{position})s::text[]::json[]")
        else:
            casts.append(f"%({prefix}{position})s::{column_type.compile(dialect=_DIALECT)}[]")
    names = ", ".join(f'"{name}"' for name in columns)
    return f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({", ".join(casts)})'  # noqa: S608 (names from the table's own columns)


def unnest_insert(
    table: Table, rows: Sequence[Mapping[str, Any]], prefix: str = "c"
) -> tuple[str, dict[str, Any]]:
    """The statement inserting `rows` (each with the same columns, at least one row) into `table`, and its
    parameters, named `prefix` and the column's position (`c0`, `c1`, ...): callers may put their own
    names, or another `unnest_insert` with another prefix, beside them."""
    columns = tuple(rows[0])
    arguments: dict[str, Any] = {}
    for position, name in enumerate(columns):
        column_type = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(column_type, JSON):
            arguments[f"{prefix}{position}"] = [json.dumps(value) for value in values]
        elif isinstance(column_type, TypeDecorator):
            bind = column_type.process_bind_param
            arguments[f"{prefix}{position}"] = [bind(value, _DIALECT) for value in values]
        else:
            arguments[f"{prefix}{position}"] = values
    return _unnest_insert(table, columns, prefix), arguments


async def insert_unnested(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` into `table` in the session's transaction, in one statement. PostgreSQL only."""
    if not rows:
        return
    statement, arguments = unnest_insert(table, rows)
    connection = await session.connection()
    await connection.exec_driver_sql(statement, arguments)
