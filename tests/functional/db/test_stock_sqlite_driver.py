"""`GOVHUB_SQLITE_DRIVER=stock`: the app on aiosqlite's own connection, for the day an aiosqlite upgrade
breaks `govhub.db.sqlite_connection`. It serves, and its writes (several at once among them) commit."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
import httpx
import pytest

from govhub.app import create_app
from govhub.config import Settings, SqliteDriver
from govhub.db import Database
from tests.conftest import make_settings
from tests.functional.registries.conftest import MEDIATOR_NETWORKS

OWNER = {"Information-Mediator-Client": "GB/GOV/DfE/schools-app"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"urn": {"type": "string", "primaryKey": True}, "name": {"type": "string"}},
    "required": ["urn", "name"],
}


@pytest.fixture
def stock_settings(backend: str, migrated_url: str) -> Settings:
    if backend != "sqlite":
        pytest.skip("the SQLite driver setting has nothing to choose on PostgreSQL")
    return make_settings(
        migrated_url, sqlite_driver=SqliteDriver.STOCK, registries_trusted_mediators=MEDIATOR_NETWORKS
    )


def test_the_setting_reads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_SQLITE_DRIVER", "stock")
    assert Settings(_env_file=None).sqlite_driver is SqliteDriver.STOCK
    monkeypatch.delenv("GOVHUB_SQLITE_DRIVER")
    assert Settings(_env_file=None).sqlite_driver is SqliteDriver.ONE_TRIP


async def test_the_stock_engine_uses_aiosqlite_s_own_connection(stock_settings: Settings) -> None:
    database = Database(stock_settings)
    try:
        async with database.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert type(raw.driver_connection) is aiosqlite.Connection  # not a OneTripConnection
    finally:
        await database.dispose()


async def test_the_app_serves_and_writes_on_the_stock_driver(stock_settings: Settings) -> None:
    app = create_app(stock_settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/readyz")).status_code == 200
            body = {"code": "SCHOOL", "catalogName": "Schools", "schema": SCHEMA, "classification": "open"}
            created = await client.post("/database/modify", json=body, headers=OWNER)
            assert created.status_code in {200, 201}, created.text
            # Writers at once: each unit of work takes SQLite's lock at its BEGIN IMMEDIATE, in turn.
            writes = await asyncio.gather(
                *(
                    client.post(
                        "/data/SCHOOL/1/create",
                        json={"write": {"content": {"urn": f"{n:06d}", "name": f"School {n}"}}},
                        headers=OWNER,
                    )
                    for n in range(6)
                )
            )
            assert [write.status_code for write in writes] == [200] * 6, [write.text for write in writes]
            read = await client.post(
                "/data/SCHOOL/1/read", json={"query": {"content": {"urn": "000004"}}}, headers=OWNER
            )
            assert read.status_code == 200, read.text
            assert read.json()["content"]["name"] == "School 4"
    finally:
        await app.state.database.dispose()
