"""The relying-party admin API: only holders of a `govhub:identity-admin` token, registrations validated
field by field, disabled clients shut out."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.oidc import REDIRECT_URI, ClientKeys, machine_client


async def _admin_token(
    client: httpx.AsyncClient, session: AsyncSession, scope: str = "govhub:identity-admin"
) -> str:
    keys = ClientKeys()
    client_id = (await machine_client(session, keys, scopes=[scope])).client.client_id
    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _service(keys: ClientKeys, **fields: object) -> dict[str, object]:
    return {
        "name": "Resident parking permits",
        "organisation": "Testshire Council",
        "purpose": "To check who you are before issuing a permit.",
        "redirectUris": [REDIRECT_URI],
        "jwks": keys.jwks,
        "allowedScopes": ["openid", "email"],
        **fields,
    }


async def test_an_admin_registers_lists_reads_and_disables_a_client(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = _bearer(await _admin_token(client, session))
    keys = ClientKeys()

    created = await client.post(
        "/identity/clients", json=_service(keys, clientId="parking-permits"), headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["clientId"] == "parking-permits"
    assert body["tokenEndpointAuthMethod"] == "private_key_jwt"
    assert body["grantTypes"] == ["authorization_code", "refresh_token"]
    assert body["sectorIdentifier"] == "service.example.org"
    assert body["subjectType"] == "pairwise"
    assert body["clientSecret"] is None

    listed = await client.get("/identity/clients", headers=admin)
    assert "parking-permits" in [c["clientId"] for c in listed.json()]
    read = await client.get("/identity/clients/parking-permits", headers=admin)
    assert read.json()["name"] == "Resident parking permits"

    disabled = await client.post("/identity/clients/parking-permits/disable", headers=admin)
    assert disabled.status_code == 200
    assert disabled.json()["disabledAt"] is not None
    # A disabled client can no longer authenticate.
    refused = await client.post("/introspect", data={"token": "x", **keys.auth("parking-permits")})
    assert refused.status_code == 401


async def test_a_client_secret_is_shown_once_and_kept_hashed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = _bearer(await _admin_token(client, session))
    created = await client.post(
        "/identity/clients",
        json={
            "name": "Old service",
            "organisation": "Legacy Ltd",
            "redirectUris": [REDIRECT_URI],
            "tokenEndpointAuthMethod": "client_secret_post",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["clientSecret"]
    assert len(secret) >= 43
    read = await client.get(f"/identity/clients/{created.json()['clientId']}", headers=admin)
    assert secret not in read.text


async def test_a_bad_registration_names_every_wrong_field(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = _bearer(await _admin_token(client, session))
    response = await client.post(
        "/identity/clients",
        json={
            "name": "Bad",
            "organisation": "Bad Ltd",
            "redirectUris": ["http://evil.example/cb", "https://ok.example/cb#frag", "/relative"],
            "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
            "idTokenSignedResponseAlg": "none",
            "allowedLevels": ["P9"],
        },
        headers=admin,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problems = {(e["pointer"], e["detail"]) for e in response.json()["errors"]}
    pointers = {pointer for pointer, _ in problems}
    assert {"/redirectUris", "/jwks", "/idTokenSignedResponseAlg", "/allowedLevels"} <= pointers
    details = " ".join(detail for _, detail in problems)
    assert "must use https" in details
    assert "fragment" in details
    assert "absolute" in details


async def test_private_key_material_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = _bearer(await _admin_token(client, session))
    keys = ClientKeys()
    private = {"keys": [keys.key.as_dict(private=True)]}
    response = await client.post("/identity/clients", json=_service(keys, jwks=private), headers=admin)
    assert response.status_code == 422
    assert "private key material" in response.text


async def test_a_taken_client_id_is_a_conflict(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = _bearer(await _admin_token(client, session))
    keys = ClientKeys()
    assert (
        await client.post("/identity/clients", json=_service(keys, clientId="taken"), headers=admin)
    ).status_code == 201
    again = await client.post("/identity/clients", json=_service(keys, clientId="taken"), headers=admin)
    assert again.status_code == 409


async def test_loopback_http_redirects_are_allowed(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = _bearer(await _admin_token(client, session))
    keys = ClientKeys()
    response = await client.post(
        "/identity/clients",
        json=_service(
            keys, redirectUris=["http://localhost:8001/callback", "http://127.0.0.1:8001/callback"]
        ),
        headers=admin,
    )
    assert response.status_code == 201, response.text


async def test_without_a_token_the_admin_api_is_a_401_challenge(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/identity/clients"),
        await client.post("/identity/clients", json={}),
        await client.get("/identity/clients/anything"),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_token_without_the_admin_scope_is_forbidden(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = await _admin_token(client, session, scope="registries:read")
    response = await client.get("/identity/clients", headers=_bearer(token))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'scope="govhub:identity-admin"' in response.headers["www-authenticate"]


async def test_an_unknown_client_is_404(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = _bearer(await _admin_token(client, session))
    assert (await client.get("/identity/clients/nobody", headers=admin)).status_code == 404
    assert (await client.post("/identity/clients/nobody/disable", headers=admin)).status_code == 404


async def test_the_exchange_subsystem_link_is_checked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The link lets a subsystem present the service's people's tokens at the gateway: it must name one
    subsystem, and a service allowed to act for people through the exchange must name it."""
    admin = _bearer(await _admin_token(client, session))
    keys = ClientKeys()
    on_behalf = ["openid", "govhub:exchange-on-behalf"]
    for fields in (
        {"exchangeSubsystem": "GOV/COUNCIL/parking"},  # a member's id, not a subsystem's
        {"exchangeSubsystem": "DEV/GOV/COUNCIL/parking/extra"},
        {"exchangeSubsystem": "DEV/GOV/COUNCIL/../parking"},
        {"allowedScopes": on_behalf},  # acting for people, from no subsystem
    ):
        refused = await client.post("/identity/clients", json=_service(keys, **fields), headers=admin)
        assert refused.status_code == 422, (fields, refused.text)
        assert [e["pointer"] for e in refused.json()["errors"]] == ["/exchangeSubsystem"], fields

    linked = await client.post(
        "/identity/clients",
        json=_service(keys, allowedScopes=on_behalf, exchangeSubsystem="DEV/GOV/COUNCIL/parking"),
        headers=admin,
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["exchangeSubsystem"] == "DEV/GOV/COUNCIL/parking"
