"""Members: organisations plugged into the platform and their subsystems, onboarding applications, the
history of suspensions and reinstatements, and platform administrators.

Revision ID: 0012_members
Revises: 0011_identity_session_timeouts
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_members"
down_revision: str | None = "0011_identity_session_timeouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "members_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance", sa.String(length=20), nullable=False),
        sa.Column("member_class", sa.String(length=3), nullable=False),
        sa.Column("member_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["identity_organisations.id"],
            name=op.f("fk_members_members_organisation_id_identity_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_members")),
        sa.UniqueConstraint(
            "instance",
            "member_class",
            "member_code",
            name=op.f("uq_members_members_instance_member_class_member_code"),
        ),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_members_members_organisation_id")),
    )
    op.create_table(
        "members_subsystems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("subsystem_code", sa.String(length=30), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members_members.id"],
            name=op.f("fk_members_subsystems_member_id_members_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_subsystems")),
        sa.UniqueConstraint("client_id", name=op.f("uq_members_subsystems_client_id")),
        sa.UniqueConstraint(
            "member_id", "subsystem_code", name=op.f("uq_members_subsystems_member_id_subsystem_code")
        ),
    )
    op.create_table(
        "members_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("member_class", sa.String(length=3), nullable=False),
        sa.Column("organisation_kind", sa.String(length=20), nullable=False),
        sa.Column("instance", sa.String(length=20), nullable=False),
        sa.Column("member_code", sa.String(length=40), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("subsystem_code", sa.String(length=30), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("applicant_account_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=300), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_members_applications_applicant_account_id_identity_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members_members.id"],
            name=op.f("fk_members_applications_member_id_members_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_applications")),
        sa.UniqueConstraint("public_id", name=op.f("uq_members_applications_public_id")),
    )
    with op.batch_alter_table("members_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_members_applications_applicant_account_id"), ["applicant_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_members_applications_status"), ["status"], unique=False)
    op.create_table(
        "members_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=300), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members_members.id"],
            name=op.f("fk_members_status_changes_member_id_members_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_status_changes")),
    )
    with op.batch_alter_table("members_status_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_status_changes_member_id"), ["member_id"], unique=False)
    op.create_table(
        "members_platform_admins",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.String(length=300), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_members_platform_admins_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_members_platform_admins")),
    )


def downgrade() -> None:
    op.drop_table("members_platform_admins")
    with op.batch_alter_table("members_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_status_changes_member_id"))
    op.drop_table("members_status_changes")
    with op.batch_alter_table("members_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_applications_status"))
        batch_op.drop_index(batch_op.f("ix_members_applications_applicant_account_id"))
    op.drop_table("members_applications")
    op.drop_table("members_subsystems")
    op.drop_table("members_members")
