"""The token endpoint's client_credentials grant, client authentication (private_key_jwt and
client_secret_post) and the errors RFC 6749 §5.2 and RFC 7523 §3 call for."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from joserfc import jwk, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.oidc import ISSUER, JWT_BEARER, TOKEN_ENDPOINT, ClientKeys, machine_client


async def _jwks(client: httpx.AsyncClient) -> jwk.KeySet:
    return jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())


async def test_a_machine_client_gets_a_signed_access_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    registered = await machine_client(session, keys, scopes=["registries:read", "registries:write"])
    client_id = registered.client.client_id

    response = await client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "registries:read", **keys.auth(client_id)},
    )

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "registries:read"
    assert "refresh_token" not in body
    token = jwt.decode(body["access_token"], await _jwks(client))
    assert token.header["typ"] == "at+jwt"
    assert token.claims["iss"] == ISSUER
    assert token.claims["sub"] == client_id
    assert token.claims["client_id"] == client_id
    assert token.claims["scope"] == "registries:read"
    assert token.claims["exp"] - token.claims["iat"] == body["expires_in"]


async def test_without_a_scope_the_client_gets_all_its_machine_scopes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys, scopes=["a:read", "b:write"])).client.client_id
    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    assert response.json()["scope"] == "a:read b:write"


async def test_a_scope_the_client_may_not_have_is_invalid_scope(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "govhub:identity-admin", **keys.auth(client_id)},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_a_replayed_client_assertion_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    form = {"grant_type": "client_credentials", **keys.auth(client_id, jti="the-same-jti")}
    assert (await client.post("/token", data=form)).status_code == 200

    replayed = await client.post("/token", data=form)

    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_client"
    assert "used before" in replayed.json()["error_description"]
    assert replayed.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"aud": "https://another-provider.example/token"}, "aud"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": int(time.time()) + 3600}, "5 minutes"),
        ({"jti": None}, "jti"),
        ({"sub": "someone-else"}, "iss and sub"),
        ({"iat": int(time.time()) + 600}, "not valid yet"),
    ],
)
async def test_a_wrong_client_assertion_is_invalid_client(
    client: httpx.AsyncClient, session: AsyncSession, overrides: dict[str, object], said: str
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", **keys.auth(client_id, **overrides)}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert said in response.json()["error_description"]


async def test_the_issuer_is_an_accepted_audience(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", **keys.auth(client_id, aud=[ISSUER])}
    )
    assert response.status_code == 200


def _unsigned(client_id: str) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": TOKEN_ENDPOINT, "jti": "x", "exp": now + 60}
    return f"{part({'alg': 'none'})}.{part(claims)}."


async def test_an_unsigned_assertion_alg_none_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": _unsigned(client_id),
        },
    )
    assert response.status_code == 401
    assert "'none'" in response.json()["error_description"]


async def test_an_assertion_signed_by_an_unregistered_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registered_keys, other_keys = ClientKeys(), ClientKeys()
    client_id = (await machine_client(session, registered_keys)).client.client_id
    # Same kid as the registered key, signed by another: the signature must fail, not the lookup.
    impostor: dict[str, object] = {**other_keys.key.as_dict(private=True), "kid": registered_keys.key.kid}
    other_keys.key = jwk.ECKey.import_key(impostor)  # type: ignore[arg-type]
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", **other_keys.auth(client_id)}
    )
    assert response.status_code == 401
    assert "signature" in response.json()["error_description"]

    unknown_kid = await client.post(
        "/token", data={"grant_type": "client_credentials", **ClientKeys().auth(client_id)}
    )
    assert unknown_kid.status_code == 401
    assert "not registered" in unknown_kid.json()["error_description"]


async def test_an_unknown_client_is_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", **ClientKeys().auth("nobody-at-all")}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_no_client_authentication_is_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post("/token", data={"grant_type": "client_credentials", "client_id": "x"})
    assert response.status_code == 401
    assert "private_key_jwt" in response.json()["error_description"]


async def test_a_client_secret_post_client_authenticates_with_its_secret(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registered = await machine_client(
        session, ClientKeys(), token_endpoint_auth_method="client_secret_post", jwks=None
    )
    assert registered.client_secret is not None
    assert registered.client.client_secret_hash != registered.client_secret
    form = {"grant_type": "client_credentials", "client_id": registered.client.client_id}

    good = await client.post("/token", data={**form, "client_secret": registered.client_secret})
    wrong = await client.post("/token", data={**form, "client_secret": "not-it"})

    assert good.status_code == 200
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


async def test_a_private_key_jwt_client_cannot_use_a_secret(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registered = await machine_client(session, ClientKeys())
    response = await client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": registered.client.client_id,
            "client_secret": "x",
        },
    )
    assert response.status_code == 401


async def test_a_code_grant_is_unauthorized_for_a_machine_client(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post(
        "/token", data={"grant_type": "authorization_code", "code": "x", **keys.auth(client_id)}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


async def test_an_unknown_grant_type_is_unsupported(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post("/token", data={"grant_type": "password", **keys.auth(client_id)})
    assert response.json()["error"] == "unsupported_grant_type"


async def test_json_instead_of_a_form_is_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post("/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.headers["content-type"].startswith("application/json")


async def test_a_repeated_parameter_is_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/token",
        content="grant_type=client_credentials&grant_type=refresh_token",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["error"] == "invalid_request"


async def test_an_rs256_assertion_is_accepted(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys(alg="RS256")
    client_id = (await machine_client(session, keys)).client.client_id
    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    assert response.status_code == 200, response.text
