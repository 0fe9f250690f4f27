"""The ledger's errors, each with a fixed HTTP status."""

from __future__ import annotations

from govhub.kit.errors import BadRequest, Conflict, NotFound


class LogNotFound(NotFound):
    slug = "ledger-not-found"
    title = "No such ledger"


class LogExists(Conflict):
    slug = "ledger-exists"
    title = "Ledger already exists"


class InvalidLogName(BadRequest):
    slug = "invalid-ledger-name"
    title = "Invalid ledger name"


class InvalidRange(BadRequest):
    """An index, size or range outside what the log holds, or in the wrong order."""

    slug = "invalid-range"
    title = "Outside the ledger"


class EmptyAppend(BadRequest):
    slug = "empty-append"
    title = "Nothing to append"
