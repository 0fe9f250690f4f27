"""`/metrics` names every exchange client and service and how much each calls: not for anyone. With
`GOVHUB_METRICS_TOKEN` set, only a scraper with the bearer token reads it; without one, only this machine
(loopback) outside production, and nobody in production (issue 14, finding 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from govhub.app import create_app
from govhub.config import Environment, Settings
from tests.support.databases import database_on
from tests.support.keys import TEST_LEDGER_KEY

TOKEN = "a-long-random-metrics-token-for-prometheus"
LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.9", 50000)

ClientFor = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_for(settings: Settings, connection: AsyncConnection) -> ClientFor:
    """A client of an app with these settings, its requests coming from `peer`."""

    @asynccontextmanager
    async def open_client(peer: tuple[str, int], **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        configured = settings.model_copy(update=overrides)
        app = create_app(configured, database=database_on(connection, configured))
        transport = httpx.ASGITransport(app=app, client=peer)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client
        finally:
            await app.state.database.dispose()

    return open_client


def _is_metrics(response: httpx.Response) -> bool:
    return response.status_code == 200 and "govhub_http_requests_total" in response.text


@pytest.mark.parametrize("peer", [LOOPBACK, REMOTE])
async def test_with_a_token_set_an_anonymous_scraper_gets_a_bearer_challenge(
    client_for: ClientFor, peer: tuple[str, int]
) -> None:
    async with client_for(peer, metrics_token=SecretStr(TOKEN)) as client:
        response = await client.get("/metrics")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert response.headers["content-type"] == "application/problem+json"
    assert "GOVHUB_METRICS_TOKEN" in response.json()["detail"]
    assert "govhub_" not in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer ",
        f"Bearer {TOKEN.upper()}",
    ],
)
async def test_a_wrong_token_reads_nothing_even_from_loopback(
    client_for: ClientFor, authorization: str
) -> None:
    async with client_for(LOOPBACK, metrics_token=SecretStr(TOKEN)) as client:
        response = await client.get("/metrics", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert "govhub_" not in response.text


@pytest.mark.parametrize("peer", [LOOPBACK, REMOTE])
async def test_the_right_token_reads_the_metrics_from_anywhere(
    client_for: ClientFor, peer: tuple[str, int]
) -> None:
    async with client_for(peer, metrics_token=SecretStr(TOKEN)) as client:
        # The scheme is case-insensitive (RFC 9110 §11.1), as Prometheus and others send it.
        for scheme in ("Bearer", "bearer"):
            response = await client.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
            assert _is_metrics(response)


@pytest.mark.parametrize("peer", [REMOTE, ("::ffff:203.0.113.9", 50000)])
async def test_without_a_token_a_remote_peer_is_refused(client_for: ClientFor, peer: tuple[str, int]) -> None:
    async with client_for(peer) as client:
        response = await client.get("/metrics")
        # Headers that name another address change nothing: the peer is what the server saw.
        forged = await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "::1"})
    for refused in (response, forged):
        assert refused.status_code == 403
        assert "loopback" in refused.json()["detail"]
        assert "govhub_" not in refused.text


async def test_without_a_token_this_machine_reads_the_metrics_outside_production(
    client_for: ClientFor,
) -> None:
    # A server listening on `::` sees an IPv4 peer as IPv4-mapped (`::ffff:127.0.0.1`).
    for peer in (LOOPBACK, ("::1", 50000), ("::ffff:127.0.0.1", 50000)):
        async with client_for(peer) as client:
            assert _is_metrics(await client.get("/metrics"))


async def test_production_without_a_token_serves_no_metrics_even_to_loopback(client_for: ClientFor) -> None:
    production = {
        "environment": Environment.PRODUCTION,
        "secret_key": SecretStr("p" * 40),
        "public_url": "https://gov.example",
        "ledger_signing_key": TEST_LEDGER_KEY,
    }
    async with client_for(LOOPBACK, **production) as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert "GOVHUB_METRICS_TOKEN" in response.json()["detail"]
    async with client_for(REMOTE, **production, metrics_token=SecretStr(TOKEN)) as client:
        assert _is_metrics(await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))
