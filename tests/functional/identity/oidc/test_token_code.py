"""The authorization_code and refresh_token grants: PKCE, single-use codes, ID tokens with pairwise
subjects and levels, refresh rotation with reuse detection. Codes are inserted as `/authorize` issues
them (tests/support/oidc.py), so these tests hold the token side to its contract on their own."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import httpx
from joserfc import jwk, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.oidc import (
    ISSUER,
    ClientKeys,
    code_client,
    code_form,
    create_account,
    insert_code,
)


async def _jwks(client: httpx.AsyncClient) -> jwk.KeySet:
    return jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())


async def _exchange(
    client: httpx.AsyncClient, keys: ClientKeys, client_id: str, form: dict[str, str]
) -> httpx.Response:
    return await client.post("/token", data={**form, **keys.auth(client_id)})


async def test_a_code_is_exchanged_for_an_id_token_and_an_access_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    account = await create_account(session)
    issued = await insert_code(session, client_id, account, scope="openid email", vot="Cl.Cm")

    response = await _exchange(client, keys, client_id, code_form(issued))

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    key_set = await _jwks(client)
    id_token = jwt.decode(body["id_token"], key_set)
    claims = id_token.claims
    assert id_token.header["alg"] == "ES256"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client_id
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["sid"] == issued.row.sid
    assert claims["vot"] == "Cl.Cm"
    assert claims["vtm"] == ISSUER + "/trustmark"
    assert "acr" not in claims
    assert claims["auth_time"] == int(issued.row.auth_time.timestamp())
    assert claims["sub"] != account.public_id  # pairwise
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    access = jwt.decode(body["access_token"], key_set).claims
    assert access["sub"] == claims["sub"]
    assert account.public_id not in str(access)  # the account is sealed, not readable


async def test_the_id_token_answers_acr_when_the_client_asked_by_acr_values(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session,
        client_id,
        await create_account(session),
        requested_by_vtr=False,
        acr="urn:acr.login.gov:auth-only",
    )
    body = (await _exchange(client, keys, client_id, code_form(issued))).json()
    claims = jwt.decode(body["id_token"], await _jwks(client)).claims
    assert claims["acr"] == "urn:acr.login.gov:auth-only"
    assert "vot" not in claims


async def test_an_rs256_client_gets_rs256_id_tokens(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys, id_token_signed_response_alg="RS256")).client.client_id
    issued = await insert_code(session, client_id, await create_account(session))
    body = (await _exchange(client, keys, client_id, code_form(issued))).json()
    assert jwt.decode(body["id_token"], await _jwks(client), algorithms=["RS256"]).header["alg"] == "RS256"


async def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session, client_id, await create_account(session), scope="openid offline_access"
    )
    first = (await _exchange(client, keys, client_id, code_form(issued))).json()
    assert (
        await client.get("/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    ).status_code == 200

    again = await _exchange(client, keys, client_id, code_form(issued))

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "used before" in again.json()["error_description"]
    userinfo = await client.get("/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert userinfo.status_code == 401
    assert "revoked" in userinfo.json()["error_description"]
    refreshed = await _exchange(
        client, keys, client_id, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_invalid_grant(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session, client_id, await create_account(session), expires_in=timedelta(seconds=-1)
    )
    response = await _exchange(client, keys, client_id, code_form(issued))
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "the code has expired: start the sign-in again",
    }


async def test_a_pkce_mismatch_is_invalid_grant(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(session, client_id, await create_account(session))

    wrong = await _exchange(client, keys, client_id, code_form(issued, code_verifier="x" * 43))
    missing = await _exchange(client, keys, client_id, {**code_form(issued), "code_verifier": ""})

    assert wrong.json()["error"] == "invalid_grant"
    assert "PKCE" in wrong.json()["error_description"]
    assert missing.json()["error"] == "invalid_request"
    # Neither burned the code: the right verifier still works.
    assert (await _exchange(client, keys, client_id, code_form(issued))).status_code == 200


async def test_a_different_redirect_uri_is_invalid_grant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(session, client_id, await create_account(session))
    response = await _exchange(
        client, keys, client_id, code_form(issued, redirect_uri="https://service.example.org/callback/")
    )
    assert response.json()["error"] == "invalid_grant"
    assert "redirect_uri" in response.json()["error_description"]


async def test_a_code_issued_to_another_client_is_invalid_grant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys, thief_keys = ClientKeys(), ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    thief_id = (await code_client(session, thief_keys)).client.client_id
    issued = await insert_code(session, client_id, await create_account(session))

    stolen = await _exchange(client, thief_keys, thief_id, code_form(issued))

    assert stolen.json()["error"] == "invalid_grant"
    assert (await _exchange(client, keys, client_id, code_form(issued))).status_code == 200


async def test_an_unknown_code_is_invalid_grant(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    response = await _exchange(
        client, keys, client_id, {"grant_type": "authorization_code", "code": "made-up", "redirect_uri": "x"}
    )
    assert response.json()["error"] == "invalid_grant"


async def test_pairwise_subjects_differ_between_sectors_and_agree_within_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await create_account(session)
    subjects = []
    for sector in ("council.example", "council.example", "health.example"):
        keys = ClientKeys()
        client_id = (await code_client(session, keys, sector_identifier=sector)).client.client_id
        issued = await insert_code(session, client_id, account)
        body = (await _exchange(client, keys, client_id, code_form(issued))).json()
        subjects.append(jwt.decode(body["id_token"], await _jwks(client)).claims["sub"])
    assert subjects[0] == subjects[1]
    assert subjects[0] != subjects[2]


async def test_a_public_subject_client_gets_the_account_public_id(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys, subject_type="public")).client.client_id
    account = await create_account(session)
    issued = await insert_code(session, client_id, account)
    body = (await _exchange(client, keys, client_id, code_form(issued))).json()
    assert jwt.decode(body["id_token"], await _jwks(client)).claims["sub"] == account.public_id


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session, client_id, await create_account(session), scope="openid email offline_access"
    )
    first = (await _exchange(client, keys, client_id, code_form(issued))).json()

    second = await _exchange(
        client, keys, client_id, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["scope"] == "openid email offline_access"

    reused = await _exchange(
        client, keys, client_id, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert reused.json()["error"] == "invalid_grant"
    # The thief or the client: one of them holds the rotated token, and it is revoked too.
    after = await _exchange(
        client, keys, client_id, {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]}
    )
    assert after.json()["error"] == "invalid_grant"
    userinfo = await client.get("/userinfo", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert userinfo.status_code == 401


async def test_a_refresh_may_narrow_the_scope_but_not_widen_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session, client_id, await create_account(session), scope="openid email offline_access"
    )
    first = (await _exchange(client, keys, client_id, code_form(issued))).json()
    wider = await _exchange(
        client,
        keys,
        client_id,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "openid identity"},
    )
    assert wider.json()["error"] == "invalid_scope"
    narrower = await _exchange(
        client,
        keys,
        client_id,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "openid"},
    )
    assert narrower.json()["scope"] == "openid"


async def test_another_clients_refresh_token_is_invalid_grant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys, other_keys = ClientKeys(), ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    other_id = (await code_client(session, other_keys)).client.client_id
    issued = await insert_code(
        session, client_id, await create_account(session), scope="openid offline_access"
    )
    first = (await _exchange(client, keys, client_id, code_form(issued))).json()
    stolen = await _exchange(
        client, other_keys, other_id, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert stolen.json()["error"] == "invalid_grant"


async def test_a_refresh_says_what_the_sign_in_established(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """OpenID Connect Core §12.2: the refreshed ID token keeps sub, aud, auth_time, sid and the level, with no
    nonce; the access token keeps auth_time and the claims the sign-in asked for."""
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session,
        client_id,
        await create_account(session),
        scope="openid email offline_access",
        requested_by_vtr=False,
        acr="urn:acr.login.gov:auth-only",
        claims={"userinfo": {"email": {"essential": True}}},
    )
    first = (await _exchange(client, keys, client_id, code_form(issued))).json()
    refreshed = await _exchange(
        client, keys, client_id, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    key_set = await _jwks(client)
    before = jwt.decode(first["id_token"], key_set).claims
    after = jwt.decode(body["id_token"], key_set).claims
    for name in ("iss", "sub", "aud", "auth_time", "sid", "acr"):
        assert after[name] == before[name], name
    assert after["auth_time"] == int(issued.row.auth_time.timestamp())
    assert "nonce" not in after
    access = jwt.decode(body["access_token"], key_set).claims
    assert access["auth_time"] == after["auth_time"]
    assert access["gh_claims"] == ["email"]
    # And the next rotation still carries it.
    again = await _exchange(
        client, keys, client_id, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert jwt.decode(again.json()["id_token"], key_set).claims["auth_time"] == after["auth_time"]


async def test_a_refresh_without_openid_in_its_scope_has_no_id_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    issued = await insert_code(
        session, client_id, await create_account(session), scope="openid email offline_access"
    )
    first = (await _exchange(client, keys, client_id, code_form(issued))).json()
    narrowed = await _exchange(
        client,
        keys,
        client_id,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "email"},
    )
    assert narrowed.status_code == 200, narrowed.text
    assert "id_token" not in narrowed.json()
