"""Registries: registers, schema versions, current records, the entry history, grants and the
personal-data use log.

Revision ID: 0003_registries
Revises: 0002_ledger
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_registries"
down_revision: str | None = "0002_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_registers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("classification", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("database_code", sa.String(length=50), nullable=False),
        sa.Column("ledger_name", sa.String(length=63), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_registers")),
        sa.UniqueConstraint("ledger_name", name=op.f("uq_registry_registers_ledger_name")),
        sa.UniqueConstraint("name", name=op.f("uq_registry_registers_name")),
    )
    op.create_table(
        "registry_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registry_registers.id"],
            name=op.f("fk_registry_grants_register_id_registry_registers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_grants")),
        sa.UniqueConstraint("register_id", "client", name=op.f("uq_registry_grants_register_id_client")),
    )
    op.create_table(
        "registry_personal_data_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registry_registers.id"],
            name=op.f("fk_registry_personal_data_use_register_id_registry_registers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_personal_data_use")),
    )
    with op.batch_alter_table("registry_personal_data_use", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_personal_data_use_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "registry_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("record_schema", sa.JSON(), nullable=False),
        sa.Column("key_field", sa.String(length=100), nullable=False),
        sa.Column("subject_field", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registry_registers.id"],
            name=op.f("fk_registry_versions_register_id_registry_registers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_versions")),
        sa.UniqueConstraint("register_id", "version", name=op.f("uq_registry_versions_register_id_version")),
    )
    op.create_table(
        "registry_entries",
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registry_registers.id"],
            name=op.f("fk_registry_entries_register_id_registry_registers"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_versions.id"],
            name=op.f("fk_registry_entries_version_id_registry_versions"),
        ),
        sa.PrimaryKeyConstraint("register_id", "number", name=op.f("pk_registry_entries")),
    )
    with op.batch_alter_table("registry_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_entries_record_key"), ["record_key"], unique=False)

    op.create_table(
        "registry_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("entry_number", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registry_registers.id"],
            name=op.f("fk_registry_records_register_id_registry_registers"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_versions.id"],
            name=op.f("fk_registry_records_version_id_registry_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_records")),
        sa.UniqueConstraint(
            "register_id", "record_key", name=op.f("uq_registry_records_register_id_record_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("registry_records")
    with op.batch_alter_table("registry_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_entries_record_key"))

    op.drop_table("registry_entries")
    op.drop_table("registry_versions")
    with op.batch_alter_table("registry_personal_data_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_personal_data_use_subject_id"))

    op.drop_table("registry_personal_data_use")
    op.drop_table("registry_grants")
    op.drop_table("registry_registers")
