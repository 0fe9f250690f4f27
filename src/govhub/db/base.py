"""The declarative base every block's models derive from, and the naming of constraints and indexes."""

from __future__ import annotations

import re

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names are fixed, so both backends name them alike and errors can be mapped by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Names of indexes that blocks make at run time (a register's field indexes), not in migrations: Alembic
#: leaves them alone, and autogenerate does not offer to drop them.
RUNTIME_INDEXES: list[re.Pattern[str]] = []

#: Names of tables and indexes that migrations make for one backend outside the models (a full-text
#: index: an FTS5 table and its shadow tables on SQLite, a GIN index on PostgreSQL): autogenerate leaves
#: them alone.
UNMODELLED: list[re.Pattern[str]] = []


def managed_by_migrations(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` hook."""
    if not name:
        return True
    if type_ in {"table", "index"} and any(pattern.match(name) for pattern in UNMODELLED):
        return False
    return not (type_ == "index" and any(pattern.match(name) for pattern in RUNTIME_INDEXES))
