"""Registries: value counts of indexed fields and record totals, and each register's indexed fields.

Revision ID: 0004_registry_counts
Revises: 0003_registries
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_registry_counts"
down_revision: str | None = "0003_registries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_value_counts",
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registry_registers.id"],
            name=op.f("fk_registry_value_counts_register_id_registry_registers"),
        ),
        sa.PrimaryKeyConstraint("register_id", "field", "value", name=op.f("pk_registry_value_counts")),
    )
    with op.batch_alter_table("registry_registers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indexed_fields", sa.JSON(), nullable=False, server_default="{}"))
    # Registers made before: their totals. (They have no field indexes yet.)
    op.execute(
        "INSERT INTO registry_value_counts (register_id, field, value, records) "
        "SELECT register_id, '', '', count(*) FROM registry_records GROUP BY register_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("registry_registers", schema=None) as batch_op:
        batch_op.drop_column("indexed_fields")
    op.drop_table("registry_value_counts")
