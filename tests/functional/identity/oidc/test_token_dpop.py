"""DPoP (RFC 9449): proofs at the token endpoint bind tokens to a key; bound tokens need a proof at every
use."""

from __future__ import annotations

import time
from typing import Any

import httpx
from joserfc import jwk, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.oidc import (
    ISSUER,
    TOKEN_ENDPOINT,
    ClientKeys,
    DpopKey,
    code_client,
    code_form,
    create_account,
    insert_code,
    machine_client,
)

USERINFO = ISSUER + "/userinfo"


async def _machine(session: AsyncSession, **options: Any) -> tuple[ClientKeys, str]:
    keys = ClientKeys()
    return keys, (await machine_client(session, keys, **options)).client.client_id


async def test_a_proof_binds_the_access_token_to_its_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys, client_id = await _machine(session)
    dpop = DpopKey()
    response = await client.post(
        "/token",
        data={"grant_type": "client_credentials", **keys.auth(client_id)},
        headers={"DPoP": dpop.proof("POST", TOKEN_ENDPOINT)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"
    key_set = jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    assert jwt.decode(response.json()["access_token"], key_set).claims["cnf"] == {"jkt": dpop.jkt}


async def test_a_replayed_proof_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys, client_id = await _machine(session)
    proof = DpopKey().proof("POST", TOKEN_ENDPOINT)
    first = await client.post(
        "/token", data={"grant_type": "client_credentials", **keys.auth(client_id)}, headers={"DPoP": proof}
    )
    again = await client.post(
        "/token", data={"grant_type": "client_credentials", **keys.auth(client_id)}, headers={"DPoP": proof}
    )
    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_dpop_proof"
    assert "used before" in again.json()["error_description"]


async def test_a_wrong_proof_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys, client_id = await _machine(session)
    dpop = DpopKey()
    wrong = {
        "htu": dpop.proof("POST", ISSUER + "/elsewhere"),
        "htm": dpop.proof("GET", TOKEN_ENDPOINT),
        "iat": dpop.proof("POST", TOKEN_ENDPOINT, iat=int(time.time()) - 3600),
        "iat not finite": dpop.proof("POST", TOKEN_ENDPOINT, iat=float("nan")),
        "iat a string": dpop.proof("POST", TOKEN_ENDPOINT, iat="now"),
        "no jti": dpop.proof("POST", TOKEN_ENDPOINT, jti=None),
        "typ": jwt.encode(
            {"alg": "ES256", "typ": "JWT", "jwk": dpop.key.as_dict(private=False)}, {"htm": "POST"}, dpop.key
        ),
        "no jwk": jwt.encode({"alg": "ES256", "typ": "dpop+jwt"}, {"htm": "POST"}, dpop.key),
        "junk": "not.a.proof",
    }
    for what, proof in wrong.items():
        response = await client.post(
            "/token",
            data={"grant_type": "client_credentials", **keys.auth(client_id)},
            headers={"DPoP": proof},
        )
        assert response.status_code == 400, what
        assert response.json()["error"] == "invalid_dpop_proof", what


async def test_a_client_that_must_use_dpop_cannot_get_a_bearer_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys, client_id = await _machine(session, require_dpop=True)
    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    assert response.json()["error"] == "invalid_dpop_proof"


async def test_a_code_bound_by_dpop_jkt_needs_a_proof_with_that_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    dpop = DpopKey()
    issued = await insert_code(session, client_id, await create_account(session), dpop_jkt=dpop.jkt)

    without = await client.post("/token", data={**code_form(issued), **keys.auth(client_id)})
    other_key = await client.post(
        "/token",
        data={**code_form(issued), **keys.auth(client_id)},
        headers={"DPoP": DpopKey().proof("POST", TOKEN_ENDPOINT)},
    )
    right = await client.post(
        "/token",
        data={**code_form(issued), **keys.auth(client_id)},
        headers={"DPoP": dpop.proof("POST", TOKEN_ENDPOINT)},
    )

    assert without.json()["error"] == "invalid_grant"
    assert other_key.json()["error"] == "invalid_dpop_proof"
    assert right.status_code == 200
    assert right.json()["token_type"] == "DPoP"


async def test_a_bound_token_needs_a_fresh_proof_at_userinfo(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    dpop = DpopKey()
    issued = await insert_code(
        session, client_id, await create_account(session), scope="openid email offline_access"
    )
    tokens = (
        await client.post(
            "/token",
            data={**code_form(issued), **keys.auth(client_id)},
            headers={"DPoP": dpop.proof("POST", TOKEN_ENDPOINT)},
        )
    ).json()
    token = tokens["access_token"]

    as_bearer = await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    no_proof = await client.get("/userinfo", headers={"Authorization": f"DPoP {token}"})
    wrong_ath = await client.get(
        "/userinfo",
        headers={"Authorization": f"DPoP {token}", "DPoP": dpop.proof("GET", USERINFO, access_token="other")},
    )
    stolen = await client.get(
        "/userinfo",
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": DpopKey().proof("GET", USERINFO, access_token=token),
        },
    )
    proof = dpop.proof("GET", USERINFO, access_token=token)
    good = await client.get("/userinfo", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    replayed = await client.get("/userinfo", headers={"Authorization": f"DPoP {token}", "DPoP": proof})

    assert as_bearer.status_code == 401
    assert as_bearer.headers["www-authenticate"].startswith("DPoP")
    assert no_proof.status_code == 401
    assert wrong_ath.status_code == 401
    assert stolen.status_code == 401
    assert good.status_code == 200, good.text
    assert replayed.status_code == 401

    # The refresh token is bound too: refreshing needs a proof with the same key.
    unbound = await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            **keys.auth(client_id),
        },
    )
    assert unbound.json()["error"] == "invalid_grant"
    bound = await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            **keys.auth(client_id),
        },
        headers={"DPoP": dpop.proof("POST", TOKEN_ENDPOINT)},
    )
    assert bound.json()["token_type"] == "DPoP"
