"""The authorization code flow with PKCE (S256) and `private_key_jwt`, driven by a real relying-party library
from PyPI (Authlib's httpx client), not by hand-written token requests: what a service integrating with
govhub would run. The browser's part (sign-in with password and TOTP, consent) follows the pages' forms."""

from __future__ import annotations

import json
import secrets
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.demo_service.oidc import ShortLivedPrivateKeyJWT
from govhub.identity.oidc.clients.service import ClientRegistration, register_client
from tests.support.oidc_journey import Person, create_person, sign_in

with warnings.catch_warnings():
    # Authlib 1.9 warns on import that it would rather have the `httpx2` fork; it works the same on httpx.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]
    from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]

REDIRECT_URI = "http://127.0.0.1:8001/callback"


@dataclass
class RelyingParty:
    client_id: str
    key: ECKey


@pytest.fixture
async def relying_party(session: AsyncSession) -> RelyingParty:
    key = ECKey.generate_key("P-256")
    key.ensure_kid()
    registered = await register_client(
        session,
        ClientRegistration(
            name="Authlib test service",
            organisation="Test council",
            redirect_uris=[REDIRECT_URI],
            jwks={"keys": [key.as_dict(private=False)]},
            grant_types=["authorization_code"],
            allowed_scopes=["openid", "email"],
            allowed_levels=["Cl", "Cl.Cm"],
        ),
    )
    await session.flush()
    return RelyingParty(registered.client.client_id, key)


@pytest.fixture
async def person(session: AsyncSession, settings: Settings) -> Person:
    return await create_person(session, settings)


@pytest.fixture
def transport(app: FastAPI) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app, raise_app_exceptions=False)


@pytest.fixture
async def oauth(
    relying_party: RelyingParty, transport: httpx.ASGITransport, settings: Settings
) -> AsyncIterator[AsyncOAuth2Client]:
    client = AsyncOAuth2Client(
        client_id=relying_party.client_id,
        client_secret=relying_party.key,
        token_endpoint_auth_method="private_key_jwt",
        code_challenge_method="S256",
        redirect_uri=REDIRECT_URI,
        scope="openid email",
        transport=transport,
        base_url=settings.public_url,
    )
    client.register_client_auth_method(ShortLivedPrivateKeyJWT())
    async with client:
        yield client


async def _discovery(transport: httpx.ASGITransport, settings: Settings) -> dict[str, str]:
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as http:
        response = await http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    document: dict[str, str] = response.json()
    return document


async def _authorized(
    oauth: AsyncOAuth2Client, transport: httpx.ASGITransport, settings: Settings, person: Person
) -> tuple[str, str, str, str]:
    """The callback URL the browser brings back, with the verifier, state and nonce the client kept."""
    metadata = await _discovery(transport, settings)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, vtr=json.dumps(["Cl.Cm"])
    )
    assert "code_challenge_method=S256" in url
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as browser:
        callback = await sign_in(browser, url, person, stop_at=REDIRECT_URI)
    return str(callback), verifier, state, nonce


async def test_authlib_signs_in_with_pkce_and_private_key_jwt(
    oauth: AsyncOAuth2Client,
    transport: httpx.ASGITransport,
    settings: Settings,
    person: Person,
    relying_party: RelyingParty,
) -> None:
    metadata = await _discovery(transport, settings)
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert "S256" in metadata["code_challenge_methods_supported"]
    callback, verifier, state, nonce = await _authorized(oauth, transport, settings, person)
    assert httpx.URL(callback).params["iss"] == settings.public_url  # RFC 9207

    token = await oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier
    )

    assert token["token_type"].lower() == "bearer"
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as http:
        keys = KeySet.import_key_set((await http.get(metadata["jwks_uri"])).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": settings.public_url},
        aud={"essential": True, "value": relying_party.client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
        vot={"essential": True, "value": "Cl.Cm"},
    ).validate(id_token.claims)
    # Authlib puts the access token on the request itself.
    userinfo = await oauth.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == id_token.claims["sub"]
    assert userinfo.json()["email"] == person.email


async def test_a_code_is_exchanged_once(
    oauth: AsyncOAuth2Client, transport: httpx.ASGITransport, settings: Settings, person: Person
) -> None:
    metadata = await _discovery(transport, settings)
    callback, verifier, state, _nonce = await _authorized(oauth, transport, settings, person)
    await oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier
    )
    with pytest.raises(OAuthError) as refused:
        await oauth.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier
        )
    assert refused.value.error == "invalid_grant"


async def test_the_code_needs_the_pkce_verifier_it_was_issued_for(
    oauth: AsyncOAuth2Client, transport: httpx.ASGITransport, settings: Settings, person: Person
) -> None:
    metadata = await _discovery(transport, settings)
    callback, _verifier, state, _nonce = await _authorized(oauth, transport, settings, person)
    with pytest.raises(OAuthError) as refused:
        await oauth.fetch_token(
            metadata["token_endpoint"],
            authorization_response=callback,
            state=state,
            code_verifier=secrets.token_urlsafe(48),
        )
    assert refused.value.error == "invalid_grant"


async def test_a_client_signing_with_another_key_is_refused(
    oauth: AsyncOAuth2Client,
    transport: httpx.ASGITransport,
    settings: Settings,
    person: Person,
    relying_party: RelyingParty,
) -> None:
    metadata = await _discovery(transport, settings)
    callback, verifier, state, _nonce = await _authorized(oauth, transport, settings, person)
    impostor = ECKey.generate_key("P-256")
    impostor.ensure_kid()
    async with AsyncOAuth2Client(
        client_id=relying_party.client_id,
        client_secret=impostor,
        token_endpoint_auth_method="private_key_jwt",
        redirect_uri=REDIRECT_URI,
        transport=transport,
        base_url=settings.public_url,
    ) as other:
        other.register_client_auth_method(ShortLivedPrivateKeyJWT())
        with pytest.raises(OAuthError) as refused:
            await other.fetch_token(
                metadata["token_endpoint"],
                authorization_response=callback,
                state=state,
                code_verifier=verifier,
            )
    assert refused.value.error == "invalid_client"
