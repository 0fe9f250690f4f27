"""The registries' errors, each with a fixed HTTP status. GovStack clients read `detail`, which every
problem body carries."""

from __future__ import annotations

from typing import ClassVar

from govhub.kit.errors import BadRequest, Conflict, Forbidden, GovhubError, NotFound, Unauthorized


class RegisterNotFound(NotFound):
    slug = "register-not-found"
    title = "No such register"


class RecordNotFound(NotFound):
    slug = "record-not-found"
    title = "No such record"


class DuplicateRecord(Conflict):
    slug = "duplicate-record"
    title = "Record already exists"


class RegisterExists(Conflict):
    slug = "register-exists"
    title = "Register already exists"


class InvalidRecord(GovhubError):
    """A record that breaks its register's schema; `field_errors` names every failing path."""

    status = 422
    slug = "invalid-record"
    title = "Record does not match the register's schema"


class InvalidRegister(GovhubError):
    status = 422
    slug = "invalid-register"
    title = "Invalid register definition"


class CallerUnknown(Unauthorized):
    """No verified caller (`registries.callers`): the detail says what to send."""

    slug = "caller-unknown"
    title = "Caller not identified"
    #: RFC 9110 §15.5.2: a 401 names the scheme that would do (RFC 6750 §3).
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="govhub"'}


class CallerRefused(Forbidden):
    """Credentials were sent and verified, but do not make a caller of the registries (a person's token,
    a suspended subsystem's, or one that is not the subsystem the client header names)."""

    slug = "caller-refused"
    title = "Caller not accepted"


class NotGranted(Forbidden):
    slug = "not-granted"
    title = "No access to this register"


class InvalidQuery(BadRequest):
    slug = "invalid-query"
    title = "Invalid search"


class GrantNotFound(NotFound):
    slug = "grant-not-found"
    title = "No such grant"
