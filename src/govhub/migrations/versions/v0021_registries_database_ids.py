"""The id the GovStack Database API shows for a register version (`/database/{id}`): a column of its own,
a 64-bit integer, so that GovStack's scenario data can load databases with the ids its scenarios ask for.
Existing versions keep the id they were shown until now (their row id).

Revision ID: 0021_registries_database_ids
Revises: 0020_members_instance_classes
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_registries_database_ids"
down_revision: str | None = "0020_members_instance_classes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registry_versions") as batch:
        batch.add_column(sa.Column("database_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE registry_versions SET database_id = id")
    with op.batch_alter_table("registry_versions") as batch:
        batch.alter_column("database_id", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_registry_versions_database_id", ["database_id"])


def downgrade() -> None:
    with op.batch_alter_table("registry_versions") as batch:
        batch.drop_constraint("uq_registry_versions_database_id", type_="unique")
        batch.drop_column("database_id")
