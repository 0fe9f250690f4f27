"""Identity: security keys and passkeys (WebAuthn) as a second factor, and the single-use challenges their
ceremonies sign, bound to a browser session.

Revision ID: 0010_identity_security_keys
Revises: 0009_oidc_refresh_sign_in
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_identity_security_keys"
down_revision: str | None = "0009_oidc_refresh_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_security_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1364), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_identity_security_keys_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_security_keys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_identity_security_keys_credential_id")),
    )
    with op.batch_alter_table("identity_security_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_security_keys_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "identity_webauthn_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["identity_sessions.id"],
            name=op.f("fk_identity_webauthn_challenges_session_id_identity_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_webauthn_challenges")),
        sa.UniqueConstraint(
            "session_id", "purpose", name=op.f("uq_identity_webauthn_challenges_session_id_purpose")
        ),
    )


def downgrade() -> None:
    op.drop_table("identity_webauthn_challenges")
    with op.batch_alter_table("identity_security_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_security_keys_account_id"))
    op.drop_table("identity_security_keys")
