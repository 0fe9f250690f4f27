"""Which constraint a failed write broke, by name, on both backends.

PostgreSQL reports the constraint's name. SQLite reports only the columns of a UNIQUE or PRIMARY KEY
failure, so the name is rebuilt from them with the naming convention in `govhub.db` (which fixes the
names on PostgreSQL too). Callers compare names, never message text.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

_SQLITE_UNIQUE = re.compile(r"^UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)$")
#: A unique index on an expression: SQLite names the index itself.
_SQLITE_UNIQUE_INDEX = re.compile(r"^UNIQUE constraint failed: index '(?P<name>\w+)'$")


def violated_constraint(error: IntegrityError) -> str | None:
    diagnostics = getattr(error.orig, "diag", None)
    name = getattr(diagnostics, "constraint_name", None)
    if isinstance(name, str):
        return name
    index = _SQLITE_UNIQUE_INDEX.match(str(error.orig))
    if index is not None:
        return index["name"]
    match = _SQLITE_UNIQUE.match(str(error.orig))
    if match is None:
        return None
    qualified = match["columns"].split(", ")
    table = qualified[0].split(".")[0]
    return f"uq_{table}_" + "_".join(column.split(".")[1] for column in qualified)
