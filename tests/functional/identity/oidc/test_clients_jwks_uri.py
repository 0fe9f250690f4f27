"""Clients that publish their keys at a `jwks_uri`: fetched, cached, and fetched again once when an
assertion names a key the cache lacks (the client rotated). The client's server is the outside edge, so it
is an `httpx.MockTransport` here."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.clients.service import RemoteKeySets
from govhub.identity.oidc.provider import Provider
from tests.support.oidc import ClientKeys, machine_client

JWKS_URI = "https://member.example.org/.well-known/jwks.json"


class ClientServer:
    def __init__(self, keys: ClientKeys) -> None:
        self.published = keys.jwks
        self.fetches = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URI
        self.fetches += 1
        return httpx.Response(200, json=self.published)


def _install(app: FastAPI, server: ClientServer) -> None:
    provider = Provider.for_settings(app.state.settings, app.state.database)
    provider.remote_keys = RemoteKeySets(transport=httpx.MockTransport(server.handle))
    app.state.oidc_provider = provider


async def test_keys_are_fetched_from_the_jwks_uri_and_cached(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    server = ClientServer(keys)
    _install(app, server)
    client_id = (await machine_client(session, keys, jwks=None, jwks_uri=JWKS_URI)).client.client_id

    for _ in range(3):
        response = await client.post(
            "/token", data={"grant_type": "client_credentials", **keys.auth(client_id)}
        )
        assert response.status_code == 200, response.text

    assert server.fetches == 1


async def test_a_rotated_client_key_is_found_by_fetching_again(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    old, new = ClientKeys(), ClientKeys()
    server = ClientServer(old)
    _install(app, server)
    client_id = (await machine_client(session, old, jwks=None, jwks_uri=JWKS_URI)).client.client_id
    assert (
        await client.post("/token", data={"grant_type": "client_credentials", **old.auth(client_id)})
    ).status_code == 200
    # The cache is younger than the refetch interval: a new key is looked for at the next chance only.
    app.state.oidc_provider.remote_keys.min_refetch = 0

    server.published = new.jwks
    response = await client.post("/token", data={"grant_type": "client_credentials", **new.auth(client_id)})

    assert response.status_code == 200, response.text
    assert server.fetches == 2


async def test_an_unreachable_jwks_uri_is_invalid_client(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()

    def down(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    provider = Provider.for_settings(app.state.settings, app.state.database)
    provider.remote_keys = RemoteKeySets(transport=httpx.MockTransport(down))
    app.state.oidc_provider = provider
    client_id = (await machine_client(session, keys, jwks=None, jwks_uri=JWKS_URI)).client.client_id

    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})

    assert response.status_code == 401
    assert "jwks_uri could not be fetched" in response.json()["error_description"]
