"""Text search of registers through an index (issue 16): `search=` on the data API and the register pages
finds records holding the words asked for, through each backend's own full-text index instead of a scan.

- SQLite: an FTS5 table over `registry_records.search_text` (external content: it stores only the index,
  the text stays in `registry_records`), with the record's id as its rowid, kept in step by triggers on
  every insert, update and delete of a record, whichever code path makes it.
- PostgreSQL: a GIN index of `to_tsvector('simple', search_text)`.

Both tokenise the same way for the words people type (runs of letters and digits, lower case, no stemming,
no stop words, accents kept). Neither object is in the models (`govhub.db.UNMODELLED`). A later migration
that rebuilds `registry_records` in batch mode on SQLite drops the triggers with the old table, and must
create them again (`create_sqlite_search`).

Revision ID: 0022_registries_text_search
Revises: 0021_registries_database_ids
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022_registries_text_search"
down_revision: str | None = "0021_registries_database_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE = (
    (
        "CREATE VIRTUAL TABLE registry_records_search USING fts5(search_text, content='registry_records', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
    ),
    (
        "CREATE TRIGGER registry_records_search_insert AFTER INSERT ON registry_records BEGIN "
        "INSERT INTO registry_records_search (rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    (
        "CREATE TRIGGER registry_records_search_delete AFTER DELETE ON registry_records BEGIN "
        "INSERT INTO registry_records_search (registry_records_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    ),
    (
        "CREATE TRIGGER registry_records_search_update AFTER UPDATE OF search_text ON registry_records "
        "BEGIN INSERT INTO registry_records_search (registry_records_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO registry_records_search (rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "INSERT INTO registry_records_search (registry_records_search) VALUES ('rebuild')",
)


def create_sqlite_search() -> None:
    for statement in _SQLITE:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()
    else:
        op.execute(
            "CREATE INDEX ix_registry_records_search ON registry_records "
            "USING gin (to_tsvector('simple'::regconfig, search_text))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS registry_records_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS registry_records_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_registry_records_search")
