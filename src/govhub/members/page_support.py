"""What the members pages share: reading a posted form, redirects, rendering without caching, the GOV.UK
error summary, dropping changed clients from this node's provider cache, and the platform administrators'
guard."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from govhub.identity.oidc import provider_of
from govhub.identity.signed_in import sign_in_url
from govhub.kit import forms
from govhub.kit.forms import redirect
from govhub.kit.templating import Pages
from govhub.members.access import PageCaller
from govhub.members.errors import NotPlatformAdmin
from govhub.members.membership import PLATFORM_ADMIN_LEVEL

#: A pasted JWK Set (an RSA key is about 800 characters; five keys with certificates are more).
MAX_KEY_FIELD = 20_000
#: Platform administrators decide with two factors.
ADMIN_LEVEL = PLATFORM_ADMIN_LEVEL


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(
    pages: Pages,
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return forms.render_page(pages, request, template, context, errors=errors, status_code=status_code)


def forget_clients(request: Request, client_ids: list[str]) -> None:
    """This node's provider reads these clients again at once; other nodes within `oidc_cache_seconds`."""
    cache = provider_of(request).clients
    for client_id in client_ids:
        cache.forget(client_id)


def platform_admin_or_redirect(caller: PageCaller, path: str) -> Response | None:
    """None for a platform administrator signed in with two factors; a redirect to sign in (or to step up)
    for anyone not signed in so; a 403 for a person who is no platform administrator."""
    if caller.person is None:
        return redirect(sign_in_url(path, auth_level=ADMIN_LEVEL))
    if not caller.platform_admin:
        raise NotPlatformAdmin(
            "This page is for the platform's administrators. If you should be one, ask an administrator to "
            "run `govhub member admin grant` for your account."
        )
    if caller.person.auth_level != ADMIN_LEVEL:
        return redirect(sign_in_url(path, auth_level=ADMIN_LEVEL))
    return None
