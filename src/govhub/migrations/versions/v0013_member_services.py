"""Members' services: a subsystem's services with their OpenAPI documents, the endpoints read from them,
and the access rights granted to other subsystems (kept after revocation).

Revision ID: 0013_member_services
Revises: 0012_members
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_member_services"
down_revision: str | None = "0012_members"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "members_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subsystem_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("openapi", sa.JSON(), nullable=False),
        sa.Column("openapi_version", sa.String(length=20), nullable=False),
        sa.Column("document_version", sa.String(length=100), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subsystem_id"],
            ["members_subsystems.id"],
            name=op.f("fk_members_services_subsystem_id_members_subsystems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_services")),
        sa.UniqueConstraint(
            "subsystem_id", "service_code", name=op.f("uq_members_services_subsystem_id_service_code")
        ),
    )
    op.create_table(
        "members_service_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=7), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("operation_id", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["members_services.id"],
            name=op.f("fk_members_service_endpoints_service_id_members_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_service_endpoints")),
        sa.UniqueConstraint(
            "service_id", "method", "path", name=op.f("uq_members_service_endpoints_service_id_method_path")
        ),
    )
    with op.batch_alter_table("members_service_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_members_service_endpoints_service_id"), ["service_id"], unique=False
        )
    op.create_table(
        "members_access_rights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("client_subsystem_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("endpoint_label", sa.String(length=510), nullable=True),
        sa.Column("live_key", sa.String(length=100), nullable=True),
        sa.Column("granted_by", sa.String(length=300), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=300), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_subsystem_id"],
            ["members_subsystems.id"],
            name=op.f("fk_members_access_rights_client_subsystem_id_members_subsystems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["members_service_endpoints.id"],
            name=op.f("fk_members_access_rights_endpoint_id_members_service_endpoints"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["members_services.id"],
            name=op.f("fk_members_access_rights_service_id_members_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_access_rights")),
        sa.UniqueConstraint("live_key", name=op.f("uq_members_access_rights_live_key")),
    )
    with op.batch_alter_table("members_access_rights", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_members_access_rights_client_subsystem_id"), ["client_subsystem_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_members_access_rights_endpoint_id"), ["endpoint_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_members_access_rights_service_id"), ["service_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("members_access_rights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_access_rights_service_id"))
        batch_op.drop_index(batch_op.f("ix_members_access_rights_endpoint_id"))
        batch_op.drop_index(batch_op.f("ix_members_access_rights_client_subsystem_id"))
    op.drop_table("members_access_rights")
    with op.batch_alter_table("members_service_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_service_endpoints_service_id"))
    op.drop_table("members_service_endpoints")
    op.drop_table("members_services")
