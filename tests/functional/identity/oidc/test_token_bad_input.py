"""Malformed assertions, proofs and tokens get the right OAuth error, never a 500."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.oidc import JWT_BEARER, ClientKeys, machine_client


def _b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


JUNK = [
    "",
    "not-a-jwt",
    "a.b.c",
    "a.b",
    "....",
    f"{_b64({'alg': 'ES256'})}.{_b64(b'not json')}.sig",
    f"{_b64([1, 2])}.{_b64({'iss': 'x'})}.sig",
    f"{_b64({'alg': 'ES256', 'kid': 5})}.{_b64({'iss': ['x']})}.sig",
    f"{_b64({'alg': 'HS256'})}.{_b64({'iss': 'x'})}.c2ln",
    f"{_b64({'typ': 'dpop+jwt', 'alg': 'ES256', 'jwk': {'kty': 'EC'}})}.{_b64({'iat': 'NaN'})}.c2ln",
    f"{_b64({'typ': 'dpop+jwt', 'alg': 'ES256', 'jwk': 'x'})}.{_b64({})}.c2ln",
    "x" * 5000,
]


@pytest.mark.parametrize("junk", JUNK)
async def test_a_malformed_client_assertion_is_invalid_client(client: httpx.AsyncClient, junk: str) -> None:
    response = await client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": junk,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("junk", JUNK)
async def test_a_malformed_dpop_proof_is_invalid_dpop_proof(
    client: httpx.AsyncClient, session: AsyncSession, junk: str
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", **keys.auth(client_id)}, headers={"DPoP": junk}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


@pytest.mark.parametrize("junk", JUNK)
async def test_a_malformed_access_token_is_invalid_token(client: httpx.AsyncClient, junk: str) -> None:
    response = await client.get("/userinfo", headers={"Authorization": f"Bearer {junk or 'x'}"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_an_assertion_with_nonsense_times_is_invalid_client(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    for exp in ("tomorrow", 10**20, True):
        response = await client.post(
            "/token", data={"grant_type": "client_credentials", **keys.auth(client_id, exp=exp)}
        )
        assert response.status_code == 401, exp
