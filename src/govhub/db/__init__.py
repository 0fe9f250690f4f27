"""The database layer: the declarative base, engines and sessions for SQLite and PostgreSQL, the app
node's `Database`, point reads, and the migrations' status.

This is the layer's public face: blocks import from `govhub.db`, never from its modules. It imports no
block (`tests/unit/db/test_layer_imports_no_block.py` holds it to that). Its modules:
- `base`: the declarative base and the naming of constraints;
- `engine`: URLs, engines, sessions, `Database` (one per app node);
- `sqlite_connection`: the custom aiosqlite connection the SQLite engine uses (`GOVHUB_SQLITE_DRIVER=stock`
  runs without it);
- `point_reads`: single-row reads outside any unit of work, for the hottest public reads;
- `postgres_options`: connection options for every PostgreSQL connection;
- `copy`: bulk writes on PostgreSQL: COPY, and generic plans for a large insert's foreign-key checks;
- `unnest`: a few rows in one PostgreSQL statement, one array per column;
- `rows`: rows of a table by whichever of those, or an executemany, suits the backend and their number;
- `schema`: Alembic's configuration, the migration heads, and whether a database is at them.
"""

from __future__ import annotations

from govhub.db.base import RUNTIME_INDEXES, UNMODELLED, Base, managed_by_migrations
from govhub.db.copy import copy_rows, copy_table_rows, generic_plans
from govhub.db.engine import (
    READ_ONLY_BEGIN,
    Database,
    UnsupportedDatabase,
    async_url,
    create_async_engine,
    create_sync_engine,
    session_factory,
    sync_url,
)
from govhub.db.point_reads import PointReader, PointReads, json_value
from govhub.db.rows import FEW_ROWS, insert_rows
from govhub.db.schema import (
    MIGRATIONS_DIR,
    MigrationStatus,
    alembic_config,
    database_location,
    migration_heads,
    migration_status,
    read_migration_status,
    schema_problem,
    sqlite_file_missing,
)
from govhub.db.unnest import insert_unnested, unnest_insert

__all__ = [
    "FEW_ROWS",
    "MIGRATIONS_DIR",
    "READ_ONLY_BEGIN",
    "RUNTIME_INDEXES",
    "UNMODELLED",
    "Base",
    "Database",
    "MigrationStatus",
    "PointReader",
    "PointReads",
    "UnsupportedDatabase",
    "alembic_config",
    "async_url",
    "copy_rows",
    "copy_table_rows",
    "create_async_engine",
    "create_sync_engine",
    "database_location",
    "generic_plans",
    "insert_rows",
    "insert_unnested",
    "json_value",
    "managed_by_migrations",
    "migration_heads",
    "migration_status",
    "read_migration_status",
    "schema_problem",
    "session_factory",
    "sqlite_file_missing",
    "sync_url",
    "unnest_insert",
]
