"""Indexes for the traffic pages: a member's exchanges as the client (by `client_id`) and as the provider
(by `service_id`), newest first by ledger index.

Revision ID: 0015_exchange_traffic_indexes
Revises: 0014_exchange_log
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_exchange_traffic_indexes"
down_revision: str | None = "0014_exchange_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_exchange_records_client_id_ledger_index",
        "exchange_records",
        ["client_id", "ledger_index"],
        unique=False,
    )
    op.create_index(
        "ix_exchange_records_service_id_ledger_index",
        "exchange_records",
        ["service_id", "ledger_index"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_records_service_id_ledger_index", table_name="exchange_records")
    op.drop_index("ix_exchange_records_client_id_ledger_index", table_name="exchange_records")
