"""Point reads: GovStack's `read` of an open record by key, answered outside the unit of work. The app
fixture's point reads run on the test's connection; the tests at the end use the real point reader (an
inline SQLite connection or a psycopg pool) on a database whose writes are really committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from govhub.app import create_app
from govhub.config import Settings
from govhub.db import Database, PointReads, sync_url
from govhub.registries.open_reads import RecordPointReads, read_open_record
from govhub.registries.service import RegistriesService
from tests.conftest import make_settings
from tests.functional.registries.conftest import MEDIATOR_NETWORKS
from tests.support.point_reads import ConnectionPointReads
from tests.support.registries import open_register

COUNTRY = "/data/country/1/read"
PERSON = "80bcb084-fa17-11ed-be56-0242ac120002"
SCENARIO_CLIENT = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}


def _answered(app: FastAPI) -> int:
    reader: ConnectionPointReads = app.state.database.point_reads
    return reader.answered


def _read(key_field: str, value: Any) -> dict[str, Any]:
    return {"query": {"content": {key_field: value}}}


async def test_an_open_record_by_key_is_a_point_read(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.post(COUNTRY, json=_read("code", "NO"))
    assert response.status_code == 200
    assert response.json() == {
        "content": {"code": "NO", "name": "Norway", "official_name": "Kingdom of Norway", "capital": "Oslo"}
    }
    assert _answered(app) == 1


async def test_what_the_point_read_cannot_answer_goes_the_ordinary_way(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Another field than the key: the unit of work searches the record's fields.
    by_capital = await client.post(COUNTRY, json=_read("capital", "Oslo"))
    assert by_capital.json()["content"]["code"] == "NO"
    # A number is not the text key "42", whatever their digits: JSON equality, on both paths.
    numeric = await client.post("/data/iso-country/1/read", json=_read("numeric", 578))
    assert numeric.status_code == 404
    # Unknown record, version and register: the unit of work names what is missing.
    assert (await client.post(COUNTRY, json=_read("code", "ZZ"))).status_code == 404
    unknown_version = await client.post("/data/country/9/read", json=_read("code", "NO"))
    assert unknown_version.status_code == 404
    assert "no version '9'" in unknown_version.json()["detail"]
    # As-of reads and proofs need the entries.
    as_of = await client.post(COUNTRY, params={"asOfEntry": 1}, json=_read("code", "AT"))
    assert as_of.status_code == 200
    assert as_of.json()["entry"] == 1
    assert _answered(app) == 0


async def test_personal_records_are_never_point_read(client: httpx.AsyncClient) -> None:
    """A personal register's read needs the grant check and writes the use log: the row the point read
    finds is refused, and the unit of work answers."""
    anonymous = await client.post("/data/registryname/111/read", json=_read("uuid", PERSON))
    assert anonymous.status_code == 401
    granted = await client.post(
        "/data/registryname/111/read",
        headers={**SCENARIO_CLIENT, "X-Purpose": "checking"},
        json=_read("uuid", PERSON),
    )
    assert granted.status_code == 200
    usage = await client.get(
        "/data/myPersonalDataUsage",
        params={"userId": granted.json()["content"]["id"], "databaseId": "MCTS"},
        headers=SCENARIO_CLIENT,
    )
    assert [use["purpose"] for use in usage.json()] == ["checking"]


async def test_the_service_rules_of_the_fast_path(app: FastAPI) -> None:
    reads = RecordPointReads(app.state.database.point_reads)
    assert await read_open_record(reads, "country", "1", {"code": "NO"}) is not None
    assert await read_open_record(reads, "country", "1", {"code": "NO", "capital": "Oslo"}) is None
    assert await read_open_record(reads, "country", "1", {"code": True}) is None
    assert await read_open_record(reads, "country", "1", {"code": ["NO"]}) is None
    assert await read_open_record(reads, "birth", "1", {"registration": "B000001"}) is None
    assert await read_open_record(reads, "nothing", "1", {"code": "NO"}) is None


# --- the real point reader, on a database whose writes are committed ------------------------------------


@pytest.fixture
async def committed(migrated_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(make_settings(migrated_url, registries_trusted_mediators=MEDIATOR_NETWORKS))
    database: Database = app.state.database
    async with database.unit_of_work() as session:
        service = RegistriesService.for_session(session, app.state.settings)
        await service.define(
            open_register("school", {"urn": {"type": "string"}, "name": {"type": "string"}}, "urn")
        )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    owner = {"Information-Mediator-Client": "govhub/GOV/platform/loader"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=owner) as client:
        yield app, client
    await database.dispose()


async def test_the_real_point_reader_sees_every_committed_change(
    committed: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = committed
    reads = RecordPointReads(app.state.database.point_reads)
    create = await client.post(
        "/data/school/1/create", json={"write": {"content": {"urn": "1", "name": "A"}}}
    )
    assert create.status_code == 200
    assert await read_open_record(reads, "school", "1", {"urn": "1"}) == {"urn": "1", "name": "A"}
    update = await client.put(
        "/data/school/1/update",
        json={"query": {"content": {"urn": "1"}}, "write": {"content": {"urn": "1", "name": "B"}}},
    )
    assert update.status_code == 200
    read = await client.post("/data/school/1/read", json=_read("urn", "1"))
    assert read.json() == {"content": {"urn": "1", "name": "B"}}
    assert await read_open_record(reads, "school", "1", {"urn": "1"}) == {"urn": "1", "name": "B"}
    assert (await client.delete("/data/school/1/1/delete")).status_code == 204
    assert await read_open_record(reads, "school", "1", {"urn": "1"}) is None
    assert (await client.post("/data/school/1/read", json=_read("urn", "1"))).status_code == 404


async def test_an_unreachable_database_makes_the_point_read_step_aside(settings: Settings) -> None:
    url = make_url(sync_url(settings.database_url))
    if url.get_backend_name() == "sqlite":
        broken = url.set(database="/nonexistent/folder/govhub.db")
    else:
        broken = url.set(port=1, query={"connect_timeout": "1"})
    reader = PointReads(broken, pool_size=1)
    try:
        assert await reader.one("SELECT 1", {}) is None
    finally:
        await reader.close()
    assert await PointReads(make_url("sqlite://"), pool_size=1).one("SELECT 1", {}) is None


async def test_the_kept_connection_steps_aside_when_it_breaks_and_reads_beside_it_use_the_pool(
    settings: Settings,
) -> None:
    url = make_url(sync_url(settings.database_url))
    if url.get_backend_name() != "postgresql":
        pytest.skip("the connection kept between reads is PostgreSQL's")
    reader = PointReads(url, pool_size=4)
    try:
        # Reads in flight together: one on the kept connection, the others on the pool's.
        answers = await asyncio.gather(*(reader.one("SELECT :n, pg_sleep(0.01)", {"n": n}) for n in range(4)))
        assert [answer[0] if answer else None for answer in answers] == [0, 1, 2, 3]
        # The server ends the kept connection's backend: one read steps aside, the next has another.
        kept = await reader.one("SELECT pg_backend_pid()", {})
        assert kept is not None
        killer = PointReads(url, pool_size=1)
        try:
            assert await killer.one("SELECT pg_terminate_backend(:pid)", {"pid": kept[0]}) == (True,)
        finally:
            await killer.close()
        assert await reader.one("SELECT 1", {}) is None
        assert await reader.one("SELECT 1", {}) == (1,)
    finally:
        await reader.close()
