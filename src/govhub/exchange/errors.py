"""The message log's errors, each with a fixed HTTP status."""

from __future__ import annotations

from govhub.kit.errors import BadRequest, Forbidden, NotFound


class InvalidMessageId(BadRequest):
    slug = "invalid-message-id"
    title = "Invalid message id"


class InvalidExchange(BadRequest):
    """A record the gateway asked to log that breaks the log's own limits (a bug in the caller)."""

    slug = "invalid-exchange-record"
    title = "Invalid exchange record"


class ExchangeRecordNotFound(NotFound):
    slug = "exchange-record-not-found"
    title = "No such exchange record"


class NotAPerson(Forbidden):
    """The data tracker answers a person about themself: a machine client's token is not about anyone."""

    slug = "tracker-needs-a-person"
    title = "Only for the person the data is about"
