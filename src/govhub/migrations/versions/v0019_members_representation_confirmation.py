"""An application that names an organisation already registered waits, once the platform approves it, for
one of that organisation's directors to confirm that the applicant acts for it: the organisation asked
about, and who answered, when and why they declined (issue 14, finding 7).

Revision ID: 0019_members_confirmation
Revises: 0016_members_directory_stamp
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_members_confirmation"
down_revision: str | None = "0018_identity_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmation_by", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("confirmation_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmation_reason", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_members_applications_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_members_applications_organisation_id_identity_organisations"),
            "identity_organisations",
            ["organisation_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("members_applications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_members_applications_organisation_id_identity_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_members_applications_organisation_id"))
        batch_op.drop_column("confirmation_reason")
        batch_op.drop_column("confirmation_at")
        batch_op.drop_column("confirmation_by")
        batch_op.drop_column("organisation_id")
