"""Issue 14, hardening: RP-initiated logout takes only an ID token of ours as `id_token_hint`. Our access
tokens, logout tokens, identity JWTs and the gateway's assertions are signed with the same keys: each is
refused by its `typ` or its claims, and nobody is signed out by one."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.discovery.keys import sign_jwt
from govhub.kit.clock import utcnow
from tests.functional.identity.account_support import create_citizen, sign_in
from tests.functional.identity.oidc.authorize_support import ISSUER, SIGNED_OUT_URI, create_relying_party
from tests.functional.identity.oidc.grant_support import authorize, redeem

HTML = {"Accept": "text/html"}


async def _signed_in_with_tokens(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> dict[str, str]:
    await create_relying_party(session)
    await sign_in(client, await create_citizen(session, settings))
    return await redeem(client, await authorize(client, scope="openid"))


async def _still_signed_in(client: httpx.AsyncClient) -> bool:
    return (await client.get("/account/services")).status_code == 200


async def test_an_access_token_as_hint_is_refused_and_signs_nobody_out(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    tokens = await _signed_in_with_tokens(client, session, settings)
    query = {"id_token_hint": tokens["access_token"], "post_logout_redirect_uri": SIGNED_OUT_URI}

    for method in ("GET", "POST"):
        if method == "GET":
            response = await client.get("/logout?" + urlencode(query), headers=HTML)
        else:
            response = await client.post("/logout", data=query, headers=HTML)
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert "not an ID token" in response.text
        assert await _still_signed_in(client)

    # The ID token issued with it is taken.
    query["id_token_hint"] = tokens["id_token"]
    done = await client.get("/logout?" + urlencode(query))
    assert done.status_code == 303
    assert done.headers["location"] == SIGNED_OUT_URI
    assert not await _still_signed_in(client)


@pytest.mark.parametrize(
    ("typ", "claims"),
    [
        # A logout token (Back-Channel Logout 1.0 §2.4).
        ("logout+jwt", {"events": {"http://schemas.openid.net/event/backchannel-logout": {}}}),
        # The identity JWT: `typ` JWT as an ID token's, told apart by its verifiable credential.
        ("JWT", {"vc": {"type": ["VerifiableCredential"]}}),
        # The gateway's assertion for a provider.
        ("gateway-assertion+jwt", {"xroad_id": "m-1", "htm": "GET", "htu": "http://provider/x"}),
        # An access token made to look like an ID token by its header alone.
        ("JWT", {"client_id": "parking-permits", "scope": "openid"}),
        # Our resource audience, not a client.
        ("JWT", {"aud": ISSUER}),
        # Nobody named.
        ("JWT", {"sub": None}),
    ],
)
async def test_our_other_tokens_are_not_id_tokens(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    typ: str,
    claims: dict[str, object],
) -> None:
    tokens = await _signed_in_with_tokens(client, session, settings)
    now = int(utcnow().timestamp())
    values: dict[str, object] = {
        "iss": ISSUER,
        "aud": "parking-permits",
        "sub": "someone",
        "iat": now,
        "exp": now + 60,
        **claims,
    }
    hint = await sign_jwt(
        session, {k: v for k, v in values.items() if v is not None}, typ=typ, settings=settings
    )
    assert hint != tokens["id_token"]

    response = await client.get("/logout?" + urlencode({"id_token_hint": hint}), headers=HTML)

    assert response.status_code == 400, response.text
    assert "not an ID token" in response.text
    assert await _still_signed_in(client)
