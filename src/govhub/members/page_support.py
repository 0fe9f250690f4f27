"""What the members pages share that is the members' own: dropping changed clients from this node's
provider cache, the platform administrators' guard, and deciding in a savepoint. Reading forms, redirects
and rendering without caching are the kit's (`govhub.kit.forms`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from govhub.identity import sign_in_url
from govhub.identity.oidc import provider_of
from govhub.kit.forms import redirect
from govhub.members.errors import NotPlatformAdmin
from govhub.members.membership.access import PageCaller
from govhub.members.membership.service import PLATFORM_ADMIN_LEVEL

T = TypeVar("T")

#: A pasted JWK Set (an RSA key is about 800 characters; five keys with certificates are more).
MAX_KEY_FIELD = 20_000
#: Platform administrators decide with two factors.
ADMIN_LEVEL = PLATFORM_ADMIN_LEVEL


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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


async def in_savepoint(db: AsyncSession, work: Callable[[], Awaitable[T]]) -> T:
    """An administrator's decision, undone as a whole when the service refuses it part-way."""
    async with db.begin_nested():
        return await work()
