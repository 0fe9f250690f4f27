"""Identity: sign-in sessions and what the account journeys keep.

Revision ID: 0006_identity_sessions
Revises: 0005_identity
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_identity_sessions"
down_revision: str | None = "0005_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=43), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("auth_level", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authenticated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_identity_sessions_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_sessions")),
        sa.UniqueConstraint("sid", name=op.f("uq_identity_sessions_sid")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_sessions_token_hash")),
    )
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sessions_account_id"), ["account_id"], unique=False)
    _create_account_journey_tables()


def _create_account_journey_tables() -> None:
    # TOTP secrets are stored encrypted (AES-GCM, base64url), longer than the bare base32 secret.
    with op.batch_alter_table("identity_accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
    op.create_table(
        "identity_email_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_identity_email_tokens_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_email_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_email_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_identity_email_tokens_account_id"), "identity_email_tokens", ["account_id"], unique=False
    )
    op.create_table(
        "identity_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_identity_recovery_codes_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_recovery_codes")),
    )
    op.create_index(
        op.f("ix_identity_recovery_codes_account_id"), "identity_recovery_codes", ["account_id"], unique=False
    )
    op.create_table(
        "identity_throttle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_throttle_events")),
    )
    op.create_index(
        "ix_identity_throttle_events_action_subject_at",
        "identity_throttle_events",
        ["action", "subject", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_identity_throttle_events_action_subject_at", table_name="identity_throttle_events")
    op.drop_table("identity_throttle_events")
    op.drop_index(op.f("ix_identity_recovery_codes_account_id"), table_name="identity_recovery_codes")
    op.drop_table("identity_recovery_codes")
    op.drop_index(op.f("ix_identity_email_tokens_account_id"), table_name="identity_email_tokens")
    op.drop_table("identity_email_tokens")
    with op.batch_alter_table("identity_accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=200),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sessions_account_id"))
    op.drop_table("identity_sessions")
