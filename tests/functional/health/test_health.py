from __future__ import annotations

import httpx
import pytest

from govhub.app import create_app
from govhub.db import migration_heads
from tests.conftest import make_settings


async def test_healthz_says_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_is_ready_at_the_migration_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["migrations"]["current"] in migration_heads()


async def _readyz_against(database_url: str) -> httpx.Response:
    app = create_app(make_settings(database_url))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/readyz")
    finally:
        await app.state.database.dispose()


async def test_readyz_is_503_while_migrations_are_behind(blank_database_url: str) -> None:
    response = await _readyz_against(blank_database_url)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["database"] == "reachable"
    assert body["migrations"]["current"] is None
    assert "govhub db upgrade" in body["detail"]


@pytest.mark.parametrize(
    "unreachable_url",
    ["postgresql://nobody@127.0.0.1:1/nowhere", "sqlite:////proc/govhub-cannot-live-here/db.sqlite"],
)
async def test_readyz_is_503_when_the_database_is_unreachable(unreachable_url: str) -> None:
    response = await _readyz_against(unreachable_url)
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "unreachable"
    assert body["status"] == 503


async def test_readyz_and_healthz_refuse_other_methods(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        response = await client.post(path)
        assert response.status_code == 405
        assert response.headers["allow"] == "GET"
        assert response.json()["title"] == "Method Not Allowed"
