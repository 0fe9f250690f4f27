"""Connection options for every PostgreSQL connection govhub opens (SQLAlchemy's engines, the point
reads' pool)."""

from __future__ import annotations

from typing import Any

#: PostgreSQL plans every execution of a prepared statement with its own parameters. psycopg prepares a
#: statement after five runs, and PostgreSQL may then settle on one generic plan, chosen while a table was
#: small, and keep it as the table grows: a bulk load into a new register slowed from 6,000 to 600
#: records/s, every key lookup scanning the table. Planning is cheap next to that.
POSTGRES_CONNECT_ARGS: dict[str, Any] = {"options": "-c plan_cache_mode=force_custom_plan"}
