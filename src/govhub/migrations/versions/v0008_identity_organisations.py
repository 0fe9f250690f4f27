"""Identity: organisations and their representatives; identities proved against a register (P2) and the
attempts that throttle proving.

Revision ID: 0008_identity_organisations
Revises: 0007_oidc
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_identity_organisations"
down_revision: str | None = "0007_oidc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["identity_accounts.id"],
        name=op.f(f"fk_{table}_account_id_identity_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "identity_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_organisations")),
        sa.UniqueConstraint(
            "kind",
            "registration_number",
            name=op.f("uq_identity_organisations_kind_registration_number"),
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_identity_organisations_public_id")),
    )
    op.create_table(
        "identity_representatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _account_key("identity_representatives"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["identity_organisations.id"],
            name=op.f("fk_identity_representatives_organisation_id_identity_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_representatives")),
        sa.UniqueConstraint(
            "account_id",
            "organisation_id",
            name=op.f("uq_identity_representatives_account_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("identity_representatives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_representatives_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_identity_representatives_organisation_id"), ["organisation_id"], unique=False
        )
    op.create_table(
        "identity_verified_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=100), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        _account_key("identity_verified_identities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_verified_identities")),
        sa.UniqueConstraint("account_id", name=op.f("uq_identity_verified_identities_account_id")),
        sa.UniqueConstraint(
            "register", "record_key", name=op.f("uq_identity_verified_identities_register_record_key")
        ),
    )
    op.create_table(
        "identity_proving_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        _account_key("identity_proving_attempts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_proving_attempts")),
    )
    with op.batch_alter_table("identity_proving_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_proving_attempts_account_id_attempted_at",
            ["account_id", "attempted_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("identity_proving_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_proving_attempts_account_id_attempted_at")
    op.drop_table("identity_proving_attempts")
    op.drop_table("identity_verified_identities")
    with op.batch_alter_table("identity_representatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_representatives_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_identity_representatives_account_id"))
    op.drop_table("identity_representatives")
    op.drop_table("identity_organisations")
