"""The one error hierarchy. Every block's errors derive from `GovhubError` and carry a fixed status.

Handlers in `govhub.kit.problems` turn them into RFC 9457 problem details for APIs and into HTML error pages
for browsers, so blocks raise errors and never build responses for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FieldError:
    """One problem with one input.

    For the body, `name` is an RFC 6901 JSON Pointer (`/address/postcode`); for a query, path, header or
    cookie parameter it is the parameter's name.
    """

    location: str
    name: str
    detail: str

    def as_problem_member(self) -> dict[str, str]:
        if self.location == "body":
            return {"pointer": self.name, "detail": self.detail}
        return {"parameter": self.name, "in": self.location, "detail": self.detail}


class GovhubError(Exception):
    """Base of every error the platform raises on purpose."""

    status: ClassVar[int] = 400
    #: Last part of the problem type URI, `/problems/<slug>`.
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, field_errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field_errors = field_errors or []


class BadRequest(GovhubError):
    pass


class NotFound(GovhubError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(GovhubError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Forbidden(GovhubError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class Unauthorized(GovhubError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"


class ServiceUnavailable(GovhubError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"
