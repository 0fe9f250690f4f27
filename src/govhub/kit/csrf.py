"""Cross-site request forgery protection for every HTML form: a signed double-submit token (OWASP CSRF
Prevention Cheat Sheet).

A browser gets a random value in an HttpOnly cookie the first time a page with a form is rendered for it.
Each form carries `HMAC(key, cookie value)` in a hidden `csrf_token` field, the key derived from
`settings.secret_key`. A post is accepted only when its field matches its cookie: another site can make a
browser send the cookie but can neither read it nor compute the field. It needs no signed-in session, so
the sign-in and sign-up forms are protected too (login CSRF). The cookie is SameSite=Lax as well.

Templates render the field with `{{ csrf_field(request) }}`; routes declare `_: CsrfChecked`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from govhub.config import Settings
from govhub.kit import cookies
from govhub.kit.errors import Forbidden

COOKIE = "govhub_csrf"
FIELD = "csrf_token"
#: The cookie outlives any one form: a year, renewed whenever a form is rendered without one.
_COOKIE_MAX_AGE = 365 * 24 * 3600
_PENDING = "csrf_cookie_to_set"


class CsrfFailed(Forbidden):
    slug = "csrf-failed"
    title = "This form could not be accepted"


def _key(settings: Settings) -> bytes:
    return hmac.new(
        settings.secret_key.get_secret_value().encode(), b"govhub csrf v1", hashlib.sha256
    ).digest()


def token_for(cookie_value: str, settings: Settings) -> str:
    return hmac.new(_key(settings), cookie_value.encode(), hashlib.sha256).hexdigest()


def _cookie_value(request: Request, settings: Settings) -> str:
    """This browser's CSRF cookie, or a new one that the rendered page will set."""
    pending = getattr(request.state, _PENDING, None)
    if isinstance(pending, str):
        return pending
    existing = cookies.read_cookie(request, COOKIE, settings)
    if existing and 20 <= len(existing) <= 100:
        return existing
    fresh = secrets.token_urlsafe(32)
    setattr(request.state, _PENDING, fresh)
    return fresh


def field_renderer(settings: Settings) -> object:
    """The `csrf_field(request)` Jinja global."""

    def csrf_field(request: Request) -> Markup:
        token = token_for(_cookie_value(request, settings), settings)
        return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token)

    return csrf_field


def set_pending_cookie(request: Request, response: Response, settings: Settings) -> None:
    """Called by the page renderer after rendering: sets the cookie a form on the page was signed for."""
    pending = getattr(request.state, _PENDING, None)
    if isinstance(pending, str):
        cookies.set_cookie(response, COOKIE, pending, settings, max_age=_COOKIE_MAX_AGE)


async def _check_csrf(request: Request) -> None:
    settings: Settings = request.app.state.settings
    cookie = cookies.read_cookie(request, COOKIE, settings)
    form = await request.form()
    sent = form.get(FIELD)
    if not cookie:
        raise CsrfFailed(
            "This form was sent without this site's security cookie. Check that your browser accepts "
            "cookies from this site, then go back, reload the page and try again."
        )
    if not isinstance(sent, str) or not hmac.compare_digest(sent, token_for(cookie, settings)):
        raise CsrfFailed(
            "This form was not sent from this site's own page, or the page is out of date. "
            "Go back, reload the page and try again."
        )


#: Declare on every route that takes a form post: `_: CsrfChecked`.
CsrfChecked = Annotated[None, Depends(_check_csrf)]
