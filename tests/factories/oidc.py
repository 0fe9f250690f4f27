"""Identity's OpenID provider's test data: registered clients, through `register_client` as the admin API
and the CLI register them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.clients.service import ClientRegistration, Registered, register_client

if TYPE_CHECKING:  # tests.support.oidc imports this module
    from tests.support.oidc import ClientKeys


async def create_client(
    session: AsyncSession, keys: ClientKeys, *, scopes: list[str] | None = None, **options: Any
) -> Registered:
    """A machine client (client_credentials, private_key_jwt with `keys`) allowed `scopes`."""
    values: dict[str, Any] = {
        "name": "Benefits checker",
        "organisation": "Department for Tests",
        "jwks": keys.jwks,
        "grant_types": ["client_credentials"],
        "allowed_scopes": scopes or ["registries:read"],
        **options,
    }
    return await register_client(session, ClientRegistration(**values))
