"""Issue 14, identity: a relying party's data exchange subsystem (the gateway takes a person's token of that
service from that subsystem only); exchange records whose document commits to the person without naming
them (document version 2; existing records keep version 1, so their leaves still verify); indexes for
revoking a person's tokens together.

Revision ID: 0018_identity_security
Revises: 0016_members_directory_stamp
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_identity_security"
down_revision: str | None = "0017_registries_salted_leaves"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_clients") as batch:
        batch.add_column(sa.Column("exchange_subsystem", sa.String(length=200), nullable=True))
    with op.batch_alter_table("exchange_records") as batch:
        batch.add_column(
            sa.Column("document_version", sa.SmallInteger(), nullable=False, server_default=sa.text("1"))
        )
    op.create_index(op.f("ix_oidc_refresh_tokens_account_id"), "oidc_refresh_tokens", ["account_id"])
    op.create_index(
        op.f("ix_oidc_authorization_codes_account_id"), "oidc_authorization_codes", ["account_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_authorization_codes_account_id"), table_name="oidc_authorization_codes")
    op.drop_index(op.f("ix_oidc_refresh_tokens_account_id"), table_name="oidc_refresh_tokens")
    with op.batch_alter_table("exchange_records") as batch:
        batch.drop_column("document_version")
    with op.batch_alter_table("oidc_clients") as batch:
        batch.drop_column("exchange_subsystem")
