"""What the identity pages share beyond `govhub.kit.forms`: where to go back to (never off this site), the
level asked for, the session cookie on a redirect, and the page for too many attempts."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from govhub.config import Settings
from govhub.identity.accounts import sessions
from govhub.identity.accounts.models import AUTH_LEVELS
from govhub.identity.accounts.signed_in import sign_in_url
from govhub.identity.accounts.throttle import TooManyAttempts, client_subject
from govhub.kit import forms
from govhub.kit.errors import BadRequest
from govhub.kit.forms import redirect
from govhub.kit.templating import Pages

DEFAULT_RETURN_TO = "/account"
_MAX_RETURN_TO = 2000


def return_to_or_default(value: str | None) -> str:
    """`value` if it is a path on this site, else the account page. Only a relative path that starts with
    one `/` is followed: `//host`, `/\\host`, schemes, control characters and backslashes (which some
    browsers read as `/`) would let a link send people to another site (an open redirect)."""
    if not value or len(value) > _MAX_RETURN_TO or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_RETURN_TO
    if "\\" in value or any(unicodedata.category(c).startswith("C") or c.isspace() for c in value):
        return DEFAULT_RETURN_TO
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_RETURN_TO
    return value


def auth_level_or_refuse(value: str | None) -> str:
    if value is None or value == "":
        return "Cl"
    if value not in AUTH_LEVELS:
        raise BadRequest(f"The level asked for must be one of {', '.join(AUTH_LEVELS)}, not {value[:20]!r}.")
    return value


def onward(path: str, return_to: str, level: str | None = None) -> str:
    """`path` carrying where to go back to (and the level asked for) to the next step of a journey."""
    query = {"return_to": return_to}
    if level is not None:
        query["level"] = level
    return f"{path}?{urlencode(query)}"


def signed_in_redirect(location: str, token: str, settings: Settings) -> RedirectResponse:
    response = redirect(location)
    sessions.set_cookie(response, token, settings)
    return response


def client_address(request: Request) -> str:
    return client_subject(request.client.host if request.client else "")


def too_many(request: Request, pages: Pages, error: TooManyAttempts, *, page_title: str) -> Response:
    return forms.render_page(
        pages,
        request,
        "identity/account/too_many.html",
        {"page_title": page_title, "detail": error.detail},
        status_code=429,
        headers={"Retry-After": str(error.retry_after)},
    )


def needs_sign_in(path: str, level: str = "Cl") -> RedirectResponse:
    return redirect(sign_in_url(path, auth_level=level))
