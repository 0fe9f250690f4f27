"""Refusals before the caller authenticated (issue 14, finding 11): a request with no access token or a
bad one is answered 401 and counted in the metrics and a structured log line, but never written to the
message log or the public `exchange` ledger (anyone could fill them); past
`gateway_unauthenticated_per_minute` per client address it is 429. Other addresses, and authenticated
callers from the same address, are not held back; refusals after authentication are logged as before."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.gateway.gateway import Limits
from govhub.exchange.gateway.service import UNAUTHORIZED
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.service import LEDGER_NAME
from govhub.ledger.service import LedgerService
from tests.functional.exchange.gateway_support import (
    ELIGIBILITY,
    Provider,
    caller_headers,
    gateway_path,
    grant,
    network,
    provider_app,
)
from tests.functional.members.services_support import PROVIDER
from tests.support.live_server import free_port, serve_in_thread
from tests.support.outbound import loopback_guard

NHS = "/eligibility/4857773456"
LIMIT = 3


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()
    with serve_in_thread(provider_app(state)) as url:
        yield state, url


@pytest.fixture
async def gateway_app(app: FastAPI, settings: Settings) -> AsyncIterator[FastAPI]:
    app.state.outbound_guard = loopback_guard()
    app.state.gateway_forwarder = Forwarder(ForwarderConfig(connect_timeout=1.0), app.state.outbound_guard)
    app.state.gateway_limits = Limits(
        settings.model_copy(update={"gateway_unauthenticated_per_minute": LIMIT})
    )
    yield app
    await app.state.gateway_forwarder.aclose()


def counted(app: FastAPI, status: int) -> float:
    labels = {"service": "unknown", "client": "unknown", "outcome": "refused", "status": str(status)}
    value = app.state.http_metrics.registry.get_sample_value("govhub_exchange_requests_total", labels)
    return float(value or 0)


async def kept(session: AsyncSession, settings: Settings) -> tuple[int, int]:
    """(message log records, exchange ledger size)."""
    records = int(await session.scalar(select(func.count()).select_from(ExchangeRecord)) or 0)
    return records, (await LedgerService.for_session(session, settings).ensure(LEDGER_NAME)).size


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.usefixtures("gateway_app")
async def test_unauthenticated_refusals_are_counted_and_logged_never_kept_and_rate_limited(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[Provider, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = await network(session, provider[1], f"http://127.0.0.1:{free_port()}")
    await grant(session, ELIGIBILITY)
    before = await kept(session, settings)
    async with client_at(app, "203.0.113.9") as attacker:
        headers = await caller_headers(attacker, net)
        nobody = {k: v for k, v in headers.items() if k != "Authorization"}
        forged = {**headers, "Authorization": "Bearer not-a-token"}
        with caplog.at_level(logging.INFO, logger="govhub.exchange.gateway"):
            for sent in (nobody, forged, nobody):
                answer = await attacker.get(gateway_path(NHS), headers=sent)
                assert (answer.status_code, answer.headers["x-road-error"]) == (401, UNAUTHORIZED), (
                    answer.text
                )
                assert answer.headers["www-authenticate"].startswith("Bearer")
            over = [await attacker.get(gateway_path(NHS), headers=forged) for _ in range(3)]
        for answer in over:
            assert (answer.status_code, answer.headers["x-road-error"]) == (429, xe.TOO_MANY_REQUESTS)
            assert answer.headers["retry-after"] == "60"

        # Nothing kept: no record, no ledger leaf.
        assert await kept(session, settings) == before
        assert provider[0].seen == []
        # Counted in the metrics.
        assert (counted(app, 401), counted(app, 429)) == (3, 3)
        # Logged as structured lines: each 401, and the first 429 only (then only counted).
        lines = [r for r in caplog.records if getattr(r, "event", None) == "gateway.unauthenticated"]
        assert [(getattr(r, "status", None), getattr(r, "over_limit", None)) for r in lines] == [
            (401, False),
            (401, False),
            (401, False),
            (429, True),
        ]
        assert {getattr(r, "client_address", None) for r in lines} == {"203.0.113.9"}
        assert {getattr(r, "message_id", None) for r in lines[:2]} == {headers["X-Road-Id"]}

        # The same address with a valid token is not held back; its refusals are logged as before.
        fine = await attacker.get(gateway_path(NHS), headers={**headers, "X-Road-Id": "fine-1"})
        assert fine.status_code == 200, fine.text
        wrong = {**headers, "X-Road-Id": "wrong-1", "X-Road-Client": PROVIDER}
        refused = await attacker.get(gateway_path(NHS), headers=wrong)
        assert (refused.status_code, refused.headers["x-road-error"]) == (403, xe.INVALID_CLIENT)
    assert await kept(session, settings) == (before[0] + 2, before[1] + 2)

    # Another address is counted on its own.
    async with client_at(app, "198.51.100.20") as other:
        answer = await other.get(gateway_path(NHS), headers=nobody)
        assert answer.status_code == 401


async def test_ipv6_clients_are_counted_by_their_64(app: FastAPI, settings: Settings) -> None:
    app.state.gateway_limits = Limits(settings.model_copy(update={"gateway_unauthenticated_per_minute": 1}))
    async with client_at(app, "2001:db8:1:2::10") as first, client_at(app, "2001:db8:1:2::99") as second:
        assert (await first.get(gateway_path(NHS))).status_code == 401
        assert (await second.get(gateway_path(NHS))).status_code == 429
    async with client_at(app, "2001:db8:1:3::10") as elsewhere:
        assert (await elsewhere.get(gateway_path(NHS))).status_code == 401
