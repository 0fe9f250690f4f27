"""Ledger: named RFC 9162 logs, their leaves, stored subtree hashes and signing keys.

Revision ID: 0002_ledger
Revises: 0001_foundation
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ledger"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_logs")),
        sa.UniqueConstraint("name", name=op.f("uq_ledger_logs_name")),
    )
    op.create_table(
        "ledger_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verifier_key", sa.String(length=255), nullable=False),
        sa.Column("private_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_signing_keys")),
        sa.UniqueConstraint("verifier_key", name=op.f("uq_ledger_signing_keys_verifier_key")),
    )
    op.create_table(
        "ledger_leaves",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.id"], name=op.f("fk_ledger_leaves_log_id_ledger_logs")
        ),
        sa.PrimaryKeyConstraint("log_id", "idx", name=op.f("pk_ledger_leaves")),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.id"], name=op.f("fk_ledger_nodes_log_id_ledger_logs")
        ),
        sa.PrimaryKeyConstraint("log_id", "level", "idx", name=op.f("pk_ledger_nodes")),
    )


def downgrade() -> None:
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_leaves")
    op.drop_table("ledger_signing_keys")
    op.drop_table("ledger_logs")
