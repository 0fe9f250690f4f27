"""The member classes of the other instances the network holds (X-Road keeps each instance's classes in its
global configuration), and member classes of up to 20 characters, as other instances name theirs (issue 16).

Revision ID: 0020_members_instance_classes
Revises: 0019_members_confirmation
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_members_instance_classes"
down_revision: str | None = "0019_members_confirmation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_member_triggers() -> None:
    """SQLite's batch mode copies `members_members` to a new table, which drops its triggers (migration
    0016's directory stamp): made again, the same. PostgreSQL alters the column in place and keeps them."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("INSERT", "UPDATE", "DELETE"):
        trigger = f"members_members_directory_changed_{event.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER {event} ON members_members "  # noqa: S608 (constants only)
            "BEGIN UPDATE members_directory_stamp SET stamp = random() WHERE id = 1; END"
        )


def upgrade() -> None:
    op.create_table(
        "members_instance_classes",
        sa.Column("instance", sa.String(length=20), nullable=False),
        sa.Column("member_class", sa.String(length=20), nullable=False),
        sa.Column("organisation_kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=300), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance", "member_class", name=op.f("pk_members_instance_classes")),
    )
    for table in ("members_applications", "members_members"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "member_class",
                existing_type=sa.VARCHAR(length=3),
                type_=sa.String(length=20),
                existing_nullable=False,
            )
    _sqlite_member_triggers()


def downgrade() -> None:
    # Refused while a member of a longer class exists (the column would not hold it).
    for table in ("members_members", "members_applications"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "member_class",
                existing_type=sa.String(length=20),
                type_=sa.VARCHAR(length=3),
                existing_nullable=False,
            )
    _sqlite_member_triggers()
    op.drop_table("members_instance_classes")
