"""The foundation: an empty schema that every building block's migrations build on.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: the version table Alembic writes is the foundation's only table."""


def downgrade() -> None:
    """Nothing to undo."""
