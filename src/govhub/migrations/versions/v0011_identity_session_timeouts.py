"""Identity: `identity_sessions` indexed on `expires_at` and `last_seen_at`, for the sweep that ends sessions
that timed out and logs out the services signed in through them (`oidc.logout_delivery`). Each node runs it
every delivery round; with these indexes a round with nothing due is an index probe, not a table scan.

Revision ID: 0011_identity_session_timeouts
Revises: 0010_identity_security_keys
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_identity_session_timeouts"
down_revision: str | None = "0010_identity_security_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_sessions_last_seen_at"), ["last_seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sessions_last_seen_at"))
        batch_op.drop_index(batch_op.f("ix_identity_sessions_expires_at"))
