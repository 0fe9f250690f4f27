"""A machine client built on a real OAuth library (Authlib's httpx client with its RFC 7523
`PrivateKeyJWT`) gets a token by client_credentials and uses it, as a member's subsystem would.
(The code flow through Authlib is tests/functional/identity/test_authlib_client.py.)"""

from __future__ import annotations

import time
import warnings

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523 import PrivateKeyJWT  # type: ignore[import-untyped]
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from tests.support.oidc import ClientKeys, machine_client

with warnings.catch_warnings():
    # Authlib 1.9 warns on import that it would rather have the `httpx2` fork; it works the same on httpx.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]
    from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]


class _OneMinutePrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's assertions live an hour by default and govhub takes at most five minutes, so `exp` is
    given as an extra claim, made afresh per assertion: Authlib writes its `jti` into the claims dict it
    was given, and reusing one dict would replay the first `jti` (which govhub rightly refuses)."""

    def sign(self, auth: object, token_endpoint: str) -> str:
        self.claims = {"exp": int(time.time()) + 60}
        signed: str = super().sign(auth, token_endpoint)
        return signed


def _auth_method(keys: ClientKeys) -> PrivateKeyJWT:
    return _OneMinutePrivateKeyJWT(alg="ES256", headers={"kid": keys.key.kid})


async def test_authlib_gets_a_client_credentials_token_with_private_key_jwt(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys, scopes=["govhub:identity-admin"])).client.client_id
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as http:
        metadata = (await http.get("/.well-known/openid-configuration")).json()
    async with AsyncOAuth2Client(
        client_id=client_id,
        client_secret=keys.key,
        token_endpoint_auth_method="private_key_jwt",
        scope="govhub:identity-admin",
        transport=transport,
        base_url=settings.public_url,
    ) as oauth:
        oauth.register_client_auth_method(_auth_method(keys))

        token = await oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        second = await oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")

        assert token["token_type"] == "Bearer"
        assert token["scope"] == "govhub:identity-admin"
        assert second["access_token"] != token["access_token"]  # a fresh jti per assertion, accepted twice
        listed = await oauth.get("/identity/clients")
        assert listed.status_code == 200
        assert client_id in [c["clientId"] for c in listed.json()]


async def test_authlib_hears_invalid_client_for_an_unregistered_key(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    client_id = (await machine_client(session, ClientKeys())).client.client_id
    impostor = ClientKeys()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncOAuth2Client(
        client_id=client_id,
        client_secret=impostor.key,
        token_endpoint_auth_method="private_key_jwt",
        transport=transport,
        base_url=settings.public_url,
    ) as oauth:
        oauth.register_client_auth_method(_auth_method(impostor))
        with pytest.raises(OAuthError) as refused:
            await oauth.fetch_token(settings.public_url + "/token", grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
