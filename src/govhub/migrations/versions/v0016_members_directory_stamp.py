"""The members directory stamp: one row whose value changes, by triggers, in the same transaction as any
change to members, subsystems, services, endpoints or access rights. App nodes keep what the gateway
needs of the network in memory and read only the stamp per request (`govhub.members.services.network_view`).

The new value is random, not a counter: a rolled-back change must never leave a value that a later,
different change could take again while a node still holds what it read under it.

Revision ID: 0016_members_directory_stamp
Revises: 0015_exchange_traffic_indexes
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_members_directory_stamp"
down_revision: str | None = "0015_exchange_traffic_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table whose rows decide what the gateway lets through.
WATCHED = (
    "members_members",
    "members_subsystems",
    "members_services",
    "members_service_endpoints",
    "members_access_rights",
)
_FUNCTION = "members_directory_changed"
_POSTGRES_FUNCTION = """
CREATE FUNCTION members_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members_directory_stamp SET stamp = floor(random() * 9000000000000000000)::bigint WHERE id = 1;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "members_directory_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members_directory_stamp")),
    )
    op.execute("INSERT INTO members_directory_stamp (id, stamp) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_directory_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
            )
        return
    for table in WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_directory_changed_{event.lower()} AFTER {event} ON {table} "  # noqa: S608
                "BEGIN UPDATE members_directory_stamp SET stamp = random() WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_directory_changed ON {table}")
        op.execute(f"DROP FUNCTION {_FUNCTION}()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_directory_changed_{event}")
    op.drop_table("members_directory_stamp")
