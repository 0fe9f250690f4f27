"""Discovery, the JWKS and key rotation: a new key is published before it signs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.discovery.keys import KeyRing, sign_jwt
from govhub.identity.oidc.models import SigningKey
from govhub.kit.clock import utcnow
from tests.support.oidc import ISSUER


async def test_discovery_names_every_endpoint_and_what_is_supported(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    meta = response.json()
    assert meta["issuer"] == ISSUER
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("pushed_authorization_request_endpoint", "/par"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/logout"),
    ]:
        assert meta[name] == ISSUER + path
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint_auth_methods_supported"] == ["private_key_jwt", "client_secret_post"]
    assert "none" not in meta["token_endpoint_auth_signing_alg_values_supported"]
    assert meta["subject_types_supported"] == ["pairwise", "public"]
    assert meta["require_pushed_authorization_requests"] is False
    assert meta["backchannel_logout_supported"] is True
    assert meta["backchannel_logout_session_supported"] is True
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "ES256" in meta["dpop_signing_alg_values_supported"]
    assert "Cl.Cm.P2" in meta["vtr_values"]
    assert "urn:acr.login.gov:verified" in meta["acr_values_supported"]
    assert "https://vocab.govhub.example/v1/coreIdentityJWT" in meta["claims_supported"]


async def test_the_jwks_publishes_public_keys_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [k["alg"] for k in keys] == ["ES256"]
    assert all("d" not in key for key in keys)
    assert "max-age" in response.headers["cache-control"]


async def test_private_keys_are_sealed_at_rest(session: AsyncSession, settings: Settings) -> None:
    await sign_jwt(session, {"hello": "world"}, settings=settings)
    stored = (await session.scalars(select(SigningKey.private_jwk))).all()
    assert stored
    assert all(text.startswith("sealed-v1.") and '"d"' not in text for text in stored)


async def test_a_rotated_key_is_published_before_it_signs(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ring = KeyRing(settings, cache_seconds=0)
    first = await ring.signing_key(session, "ES256")
    long_ago = utcnow() - timedelta(days=30)
    await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == first.kid)
        .values(published_at=long_ago, active_from=long_ago)
    )

    rotated = await ring.rotate(session, "ES256")

    published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {first.kid, rotated.kid}
    assert (await ring.signing_key(session, "ES256")).kid == first.kid
    # Once the publish-ahead interval has passed, the new key signs and the old one still verifies.
    await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == rotated.kid)
        .values(active_from=utcnow() - timedelta(seconds=1))
    )
    assert (await ring.signing_key(session, "ES256")).kid == rotated.kid
    # After the retire interval, the old key leaves the JWKS.
    await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == first.kid)
        .values(retired_at=utcnow() - timedelta(seconds=1))
    )
    app.state.oidc_provider.keys.forget()
    published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {rotated.kid}


async def test_an_rs256_key_is_made_when_first_needed(session: AsyncSession, settings: Settings) -> None:
    ring = KeyRing(settings, cache_seconds=0)
    key = await ring.signing_key(session, "RS256")
    assert key.alg == "RS256"
    assert key.public_jwk()["kty"] == "RSA"


async def test_a_cold_node_makes_one_first_key_however_many_requests_ask(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    ring = KeyRing(settings, database=app.state.database)

    made = await asyncio.gather(*(ring.signing_key(session, "ES256") for _ in range(10)))

    assert len({key.kid for key in made}) == 1
    assert len((await session.scalars(select(SigningKey))).all()) == 1


async def test_a_key_made_by_another_node_verifies_once_read_again(
    session: AsyncSession, settings: Settings
) -> None:
    this_node = KeyRing(settings)
    assert await this_node.keys(session) == []  # cached: no keys yet
    other_node = KeyRing(settings, cache_seconds=0)
    kid = (await other_node.signing_key(session, "ES256")).kid
    this_node.min_reload_seconds = 0

    found = await this_node.verification_key(session, kid)

    assert found is not None
    assert found.kid == kid
