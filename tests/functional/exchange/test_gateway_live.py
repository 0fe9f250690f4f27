"""The gateway served by uvicorn on a database of its own (committed, as in a deployment), so bodies really
stream over sockets on both sides: the app's lifespan, its one Forwarder, and the message log written after
the response has gone."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.app import create_app
from govhub.db import create_async_engine, session_factory
from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.repository import ExchangeRepository
from tests.conftest import make_settings
from tests.functional.exchange.gateway_support import (
    MAX_REQUEST_BYTES,
    Provider,
    caller_headers,
    gateway_path,
    grant,
    network,
)
from tests.functional.exchange.gateway_support import provider_app as make_provider
from tests.support.live_server import free_port, serve_in_thread
from tests.support.outbound import LOOPBACK

CHUNK = 50_000


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()
    with serve_in_thread(make_provider(state)) as url:
        yield state, url


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(migrated_url)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def logged(session: AsyncSession, message_id: str) -> ExchangeRecord:
    """The record is written just after the last byte has gone: wait for it."""
    deadline = time.monotonic() + 10
    while (record := await ExchangeRepository(session).by_message_id(message_id)) is None:
        assert time.monotonic() < deadline, "the exchange was not logged"
        await asyncio.sleep(0.05)
        await session.rollback()  # a fresh snapshot on the next read
    return record


async def chunks(count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"a" * CHUNK


async def test_bodies_stream_through_a_served_gateway_and_every_answer_is_logged(
    migrated_url: str, database: AsyncSession, provider: tuple[Provider, str]
) -> None:
    net = await network(database, provider[1], f"http://127.0.0.1:{free_port()}")
    await grant(database)
    await database.commit()

    with serve_in_thread(create_app(make_settings(migrated_url, gateway_allowed_networks=LOOPBACK))) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
            headers = await caller_headers(client, net, **{"Content-Type": "application/json"})
            # Chunked (no Content-Length), just under the gateway's limit.
            count = MAX_REQUEST_BYTES // CHUNK
            sent = await client.post(gateway_path("/assessments"), content=chunks(count), headers=headers)
            assert sent.status_code == 201, sent.text
            body = b"a" * (CHUNK * count)
            assert sent.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            assert sent.headers["x-road-request-hash"]

            seen = len(provider[0].seen)
            over = {**headers, "X-Road-Id": headers["X-Road-Id"] + "-over"}
            big = await client.post(gateway_path("/assessments"), content=chunks(count + 1), headers=over)
            assert (big.status_code, big.headers["x-road-error"]) == (413, xe.MESSAGE_TOO_LARGE)
            assert len(provider[0].seen) == seen

    record = await logged(database, headers["X-Road-Id"])
    assert (record.status, record.outcome, record.request_size) == (201, "ok", len(body))
    assert record.request_sha256 == hashlib.sha256(body).hexdigest()
    refused = await logged(database, over["X-Road-Id"])
    assert (refused.status, refused.outcome, refused.error_code) == (413, "refused", xe.MESSAGE_TOO_LARGE)
