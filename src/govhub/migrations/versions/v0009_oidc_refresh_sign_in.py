"""OpenID Connect: refresh tokens keep what the sign-in established (when it happened, the level and how the
client asked for it, the claims requested), so tokens issued on refresh say the same as those from the code.

Rows written before this revision have none of it; their refreshes answer without `auth_time` as before.

Revision ID: 0009_oidc_refresh_sign_in
Revises: 0008_identity_organisations
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_oidc_refresh_sign_in"
down_revision: str | None = "0008_identity_organisations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_refresh_tokens") as batch:
        batch.add_column(sa.Column("auth_time", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acr", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("requested_by_vtr", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("claims", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oidc_refresh_tokens") as batch:
        batch.drop_column("claims")
        batch.drop_column("requested_by_vtr")
        batch.drop_column("acr")
        batch.drop_column("auth_time")
