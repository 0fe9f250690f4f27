"""Userinfo (with the identity JWT), introspection (RFC 7662) and revocation (RFC 7009)."""

from __future__ import annotations

import base64
import json
from datetime import date

import httpx
from joserfc import jwk, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.organisations.service import NewOrganisation, OrganisationsService
from govhub.identity.proving.models import VerifiedIdentityRow
from govhub.identity.proving.repository import ProvingRepository
from govhub.kit.clock import utcnow
from tests.support.oidc import ClientKeys, code_client, code_form, create_account, insert_code, machine_client

IDENTITY_JWT = "https://vocab.govhub.example/v1/coreIdentityJWT"


async def _tokens(
    client: httpx.AsyncClient, session: AsyncSession, *, scope: str, vot: str = "Cl.Cm", matched: bool = False
) -> tuple[ClientKeys, str, dict[str, str]]:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    account = await create_account(session, identity_level="P2" if matched else "P0")
    if matched:
        await ProvingRepository(session).add_verified_identity(
            VerifiedIdentityRow(
                account_id=account.id,
                register="births",
                record_key="B100001",
                given_name="Zoë",
                family_name="O'Brien-Archer",
                birth_date=date(1987, 3, 14),
                verified_at=utcnow(),
            )
        )
    issued = await insert_code(session, client_id, account, scope=scope, vot=vot)
    body = (await client.post("/token", data={**code_form(issued), **keys.auth(client_id)})).json()
    return keys, client_id, body


def _b64(value: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_userinfo_answers_the_claims_of_the_scopes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, _, tokens = await _tokens(client, session, scope="openid email business")
    response = await client.get("/userinfo", headers=_bearer(tokens["access_token"]))
    assert response.status_code == 200
    claims = response.json()
    id_token = jwt.decode(
        tokens["id_token"], jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    )
    assert claims["sub"] == id_token.claims["sub"]
    assert claims["email"].endswith("@example.org")
    assert claims["email_verified"] is True
    assert claims["organisations"] == []
    assert "given_name" not in claims


async def test_a_business_representative_gets_their_organisations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    account = await create_account(session)
    organisations = OrganisationsService.for_session(session)
    made = await organisations.create_organisation(
        NewOrganisation("Ambridge Organics Ltd", "SC123456", "company")
    )
    await organisations.link(account.email, made.public_id, "director")
    issued = await insert_code(session, client_id, account, scope="openid business")
    tokens = (await client.post("/token", data={**code_form(issued), **keys.auth(client_id)})).json()

    claims = (await client.get("/userinfo", headers=_bearer(tokens["access_token"]))).json()

    assert claims["organisations"] == [
        {
            "id": made.public_id,
            "name": "Ambridge Organics Ltd",
            "registration_number": "SC123456",
            "kind": "company",
            "role": "director",
        }
    ]
    assert "email" not in claims


async def test_openid_alone_answers_only_the_subject(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, _, tokens = await _tokens(client, session, scope="openid")
    response = await client.post("/userinfo", headers=_bearer(tokens["access_token"]))
    assert set(response.json()) == {"sub"}


async def test_identity_claims_and_the_identity_jwt_come_only_with_p2(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, client_id, tokens = await _tokens(
        client, session, scope="openid identity", vot="Cl.Cm.P2", matched=True
    )
    claims = (await client.get("/userinfo", headers=_bearer(tokens["access_token"]))).json()
    assert claims["given_name"] == "Zoë"
    assert claims["birthdate"] == "1987-03-14"
    key_set = jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    identity = jwt.decode(claims[IDENTITY_JWT], key_set).claims
    assert identity["sub"] == claims["sub"]
    assert identity["aud"] == client_id
    assert identity["vot"] == "Cl.Cm.P2"
    subject = identity["vc"]["credentialSubject"]
    assert subject["birthDate"] == [{"value": "1987-03-14"}]
    assert subject["name"][0]["nameParts"][0] == {"type": "GivenName", "value": "Zoë"}

    # The same person, signed in at Cl.Cm (P2 not asked for): no identity claims.
    _, _, lower = await _tokens(client, session, scope="openid identity", vot="Cl.Cm", matched=True)
    assert set((await client.get("/userinfo", headers=_bearer(lower["access_token"]))).json()) == {"sub"}


async def test_userinfo_without_a_token_is_a_401_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/userinfo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_token"


async def test_userinfo_refuses_a_forged_or_unknown_key_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, _, tokens = await _tokens(client, session, scope="openid")
    header, claims, _sig = tokens["access_token"].split(".")
    ours = jwt.decode(
        tokens["access_token"], jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    )
    stranger = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    # The same claims signed by a key we never published, once under its own kid and once under ours.
    forged = jwt.encode({"alg": "ES256", "kid": stranger.kid, "typ": "at+jwt"}, ours.claims, stranger)
    resigned = jwt.encode({"alg": "ES256", "kid": ours.header["kid"], "typ": "at+jwt"}, ours.claims, stranger)
    alg_none = f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': ours.header['kid']})}.{claims}."

    unknown_key = await client.get("/userinfo", headers=_bearer(forged))
    bad_signature = await client.get("/userinfo", headers=_bearer(resigned))
    unsigned = await client.get("/userinfo", headers=_bearer(f"{header}.{claims}."))
    none = await client.get("/userinfo", headers=_bearer(alg_none))

    assert unknown_key.status_code == 401
    assert "does not publish" in unknown_key.json()["error_description"]
    assert bad_signature.status_code == 401
    assert "signature" in bad_signature.json()["error_description"]
    assert unsigned.status_code == 401
    assert none.status_code == 401


async def test_a_machine_token_has_no_userinfo(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    token = (
        await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    ).json()
    response = await client.get("/userinfo", headers=_bearer(token["access_token"]))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    # RFC 6750 §3: the challenge names the scope that is needed.
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="openid"' in challenge


async def test_introspection_tells_a_client_about_its_own_tokens_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys, client_id, tokens = await _tokens(client, session, scope="openid email offline_access")
    other_keys = ClientKeys()
    other_id = (await machine_client(session, other_keys)).client.client_id

    own = await client.post("/introspect", data={"token": tokens["access_token"], **keys.auth(client_id)})
    own_refresh = await client.post(
        "/introspect", data={"token": tokens["refresh_token"], **keys.auth(client_id)}
    )
    foreign = await client.post(
        "/introspect", data={"token": tokens["access_token"], **other_keys.auth(other_id)}
    )
    junk = await client.post("/introspect", data={"token": "not-a-token", **keys.auth(client_id)})
    unauthenticated = await client.post("/introspect", data={"token": tokens["access_token"]})

    assert own.status_code == 200
    assert own.json()["active"] is True
    assert own.json()["client_id"] == client_id
    assert own.json()["scope"] == "openid email offline_access"
    assert own.json()["token_type"] == "Bearer"
    assert own_refresh.json()["active"] is True
    assert own_refresh.json()["token_type"] == "refresh_token"
    assert foreign.json() == {"active": False}
    assert junk.json() == {"active": False}
    assert unauthenticated.status_code == 401


async def test_a_revoked_access_token_stops_working(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys, client_id, tokens = await _tokens(client, session, scope="openid")
    response = await client.post("/revoke", data={"token": tokens["access_token"], **keys.auth(client_id)})
    assert response.status_code == 200
    assert (await client.get("/userinfo", headers=_bearer(tokens["access_token"]))).status_code == 401
    introspected = await client.post(
        "/introspect", data={"token": tokens["access_token"], **keys.auth(client_id)}
    )
    assert introspected.json() == {"active": False}


async def test_revoking_a_refresh_token_revokes_the_grant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys, client_id, tokens = await _tokens(client, session, scope="openid offline_access")
    await client.post(
        "/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token", **keys.auth(client_id)},
    )
    refreshed = await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            **keys.auth(client_id),
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"
    assert (await client.get("/userinfo", headers=_bearer(tokens["access_token"]))).status_code == 401


async def test_revoking_an_unknown_or_foreign_token_answers_200_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _keys, _client_id, tokens = await _tokens(client, session, scope="openid")
    other_keys = ClientKeys()
    other_id = (await machine_client(session, other_keys)).client.client_id
    unknown = await client.post("/revoke", data={"token": "never-issued", **other_keys.auth(other_id)})
    foreign = await client.post(
        "/revoke", data={"token": tokens["access_token"], **other_keys.auth(other_id)}
    )
    assert unknown.status_code == 200
    assert foreign.status_code == 200
    assert (await client.get("/userinfo", headers=_bearer(tokens["access_token"]))).status_code == 200


async def test_revocation_needs_client_authentication(client: httpx.AsyncClient) -> None:
    response = await client.post("/revoke", data={"token": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
