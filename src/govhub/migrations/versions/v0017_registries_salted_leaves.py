"""The salt of a register entry: the ledger leaf of an entry of a personal or restricted register commits to
a salted document (`govhub.registries.leaves`), so the public ledger is no offline oracle for its content.

Existing entries keep a null salt: their leaves are already in append-only ledgers and cannot be
re-committed. New entries of personal and restricted registers are salted from this revision on.

Revision ID: 0017_registries_salted_leaves
Revises: 0016_members_directory_stamp
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_registries_salted_leaves"
down_revision: str | None = "0016_members_directory_stamp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registry_entries") as batch:
        batch.add_column(sa.Column("salt", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_entries") as batch:
        batch.drop_column("salt")
