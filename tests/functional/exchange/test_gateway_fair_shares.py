"""One member cannot starve the gateway (issue 14, finding 6). A provider that drips a byte now and then
never trips the read timeout and holds its connections; before, such a provider took the gateway's whole
pool and every other member's calls waited and failed. Now: at most `gateway_max_connections_per_provider`
connections go to one provider, a member has at most `gateway_member_concurrency` exchanges in flight (more
are refused at once with 429, logged), and each exchange has a total deadline from its arrival to its last
byte (a drip is cut off there and logged as failed).

The gateway is served by uvicorn on a database of its own (committed), the providers too; the settings are
small so the test stays quick. Ordering, not timing: the slow provider holds its answers until the test
releases them, and member B's calls are made and answered while member A's are still held."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response, StreamingResponse

from govhub.app import create_app
from govhub.db import create_async_engine, session_factory
from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from govhub.members.xroad_ids import parse_service_id
from tests.conftest import make_settings
from tests.functional.exchange.gateway_support import Provider, provider_app
from tests.functional.members.services_support import blue_badge
from tests.functional.members.support import approved_member, subsystem_token
from tests.support.live_server import serve_in_thread
from tests.support.oidc import ClientKeys
from tests.support.outbound import LOOPBACK, loopback_guard

#: Member A: Theirs Ltd, whose subsystem calls its own slow service.
A = "GOVHUB-DEV/COM/07654321/orders"
SLOW = A + "/slow"
#: Member B: Borsetshire, whose subsystem calls its own (quick) eligibility service at another provider.
B = "GOVHUB-DEV/GOV/E10000099/parking"
QUICK = B + "/eligibility"


@dataclass
class Slow:
    """A provider that answers `drip` a byte every 50 ms and `silent` not at all, until released."""

    release: threading.Event = field(default_factory=threading.Event)
    held: int = 0
    most_held: int = 0
    seen: int = 0

    def hold(self) -> None:
        self.seen += 1
        self.held += 1
        self.most_held = max(self.most_held, self.held)


def slow_app(slow: Slow) -> FastAPI:
    app = FastAPI()

    @app.get("/eligibility/{mode}")
    async def eligibility(mode: str) -> Response:
        slow.hold()
        if mode == "silent":
            try:
                while not slow.release.is_set():  # noqa: ASYNC110 (set from the test's thread and loop)
                    await asyncio.sleep(0.02)
            finally:
                slow.held -= 1
            return JSONResponse({"late": True})

        async def drip() -> AsyncIterator[bytes]:
            try:
                while not slow.release.is_set():
                    yield b" "
                    await asyncio.sleep(0.05)
                yield b'{"dripped": true}'
            finally:
                slow.held -= 1

        return StreamingResponse(drip(), media_type="application/json")

    return app


@pytest.fixture(scope="module")
def quick() -> Iterator[str]:
    with serve_in_thread(provider_app(Provider())) as url:
        yield url


@pytest.fixture(scope="module")
def slow_server() -> Iterator[tuple[Slow, str]]:
    slow = Slow()
    with serve_in_thread(slow_app(slow)) as url:
        yield slow, url
        slow.release.set()


@pytest.fixture
def slow(slow_server: tuple[Slow, str]) -> Iterator[Slow]:
    state = slow_server[0]
    state.release.clear()
    state.held = state.most_held = state.seen = 0
    yield state
    state.release.set()  # whatever happened, let the provider's handlers end


@dataclass
class Members:
    a: ClientKeys
    b: ClientKeys


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(migrated_url)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def members(session: AsyncSession, slow_url: str, quick_url: str) -> Members:
    """A and B, each with a service of its own at its own provider and the right to call it."""
    keys = Members(ClientKeys(), ClientKeys())
    await approved_member(session, keys.b)
    await approved_member(
        session,
        keys.a,
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
        subsystem_code="orders",
    )
    services = ServicesService(session)
    for subsystem, code, url in ((A, "slow", slow_url), (B, "eligibility", quick_url)):
        await services.register(
            COMMAND_LINE_ACTOR,
            subsystem=subsystem,
            service_code=code,
            base_url=url,
            openapi=blue_badge(),
            outbound=loopback_guard(),
        )
        await services.grant(COMMAND_LINE_ACTOR, parse_service_id(f"{subsystem}/{code}"), subsystem, None)
    await session.commit()
    return keys


async def headers_of(client: httpx.AsyncClient, keys: ClientKeys, subsystem: str) -> dict[str, str]:
    token = await subsystem_token(client, keys, subsystem.replace("/", "."))
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}", "X-Road-Client": subsystem}


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def records(session: AsyncSession, client_id: str, count: int) -> list[ExchangeRecord]:
    """The caller's records, once `count` are written (each is written after its response has gone)."""
    deadline = time.monotonic() + 10
    while True:
        await session.rollback()  # a fresh snapshot
        found = list(
            await session.scalars(select(ExchangeRecord).where(ExchangeRecord.client_id == client_id))
        )
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def streamed(client: httpx.AsyncClient, path: str, headers: dict[str, str], into: bytearray) -> None:
    """GET `path`, a 200, its body streamed into `into` as it comes."""
    async with client.stream("GET", path, headers=headers) as answer:
        assert answer.status_code == 200
        async for chunk in answer.aiter_bytes():
            into += chunk


async def test_a_slow_provider_of_one_member_does_not_hold_back_another_member(
    migrated_url: str,
    database: AsyncSession,
    slow: Slow,
    slow_server: tuple[Slow, str],
    quick: str,
) -> None:
    keys = await members(database, slow_server[1], quick)
    settings = make_settings(
        migrated_url,
        gateway_allowed_networks=LOOPBACK,
        gateway_max_connections=4,
        gateway_max_connections_per_provider=2,
        gateway_member_concurrency=3,
        gateway_connect_timeout=0.5,
        gateway_pool_timeout=0.2,
    )
    with serve_in_thread(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20, trust_env=False) as client:
            a = await headers_of(client, keys.a, A)
            b = await headers_of(client, keys.b, B)

            async def call_a() -> httpx.Response:
                return await client.get(
                    f"/r1/{SLOW}/eligibility/drip", headers={**a, "X-Road-Id": str(uuid.uuid4())}
                )

            # Member A floods its dripping provider: three exchanges in flight at most (two more are 429 at
            # once), two connections to the provider at most (the third waits for one, then gives up).
            flood = [asyncio.create_task(call_a()) for _ in range(5)]
            await until(lambda: slow.held == 2 and sum(t.done() for t in flood) == 3, "A's flood settled")
            # Member B's calls to another provider go through at once, while A's are still dripping.
            for _ in range(2):
                answers = await asyncio.gather(
                    *(client.get(f"/r1/{QUICK}/eligibility/4857773456", headers=b) for _ in range(2))
                )
                assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
            assert slow.held == 2
            assert slow.most_held == 2  # never more connections to one provider than allowed

            early = [t.result() for t in flood if t.done()]
            slow.release.set()
            done = await asyncio.gather(*flood)

    refused = [r for r in early if r.status_code == 429]
    assert [r.headers["x-road-error"] for r in refused] == [xe.TOO_MANY_REQUESTS] * 2
    assert all(r.headers["retry-after"] == "1" for r in refused)
    waited = [r for r in early if r.status_code != 429]
    assert [(r.status_code, r.headers["x-road-error"]) for r in waited] == [(504, xe.NETWORK_ERROR)]
    assert sorted(r.status_code for r in done) == [200, 200, 429, 429, 504]
    logged = await records(database, A, 5)
    assert sorted((r.outcome, r.error_code or "") for r in logged) == [
        ("failed", xe.NETWORK_ERROR),
        ("ok", ""),
        ("ok", ""),
        ("refused", xe.TOO_MANY_REQUESTS),
        ("refused", xe.TOO_MANY_REQUESTS),
    ]


async def test_an_exchange_is_cut_off_at_its_deadline_and_logged_as_failed(
    migrated_url: str,
    database: AsyncSession,
    slow: Slow,
    slow_server: tuple[Slow, str],
    quick: str,
) -> None:
    keys = await members(database, slow_server[1], quick)
    settings = make_settings(migrated_url, gateway_allowed_networks=LOOPBACK, gateway_exchange_deadline=1.0)
    with serve_in_thread(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15, trust_env=False) as client:
            a = await headers_of(client, keys.a, A)
            # A provider that says nothing (within the read timeout of 30 s): 504 at the deadline.
            silent = await client.get(
                f"/r1/{SLOW}/eligibility/silent", headers={**a, "X-Road-Id": "silent-1"}
            )
            assert (silent.status_code, silent.headers["x-road-error"]) == (504, xe.SERVICE_FAILED)
            assert silent.json()["message"] == "The exchange went over its deadline."
            # A provider that drips (never a gap as long as the read timeout): cut off mid-body.
            received = bytearray()
            with pytest.raises(httpx.HTTPError):  # the body breaks off: the connection is dropped
                await streamed(client, f"/r1/{SLOW}/eligibility/drip", {**a, "X-Road-Id": "drip-1"}, received)
            assert b"dripped" not in received
            slow.release.set()

    logged = {r.message_id: r for r in await records(database, A, 2)}
    assert (logged["silent-1"].status, logged["silent-1"].outcome) == (504, "failed")
    assert logged["silent-1"].error_code == xe.SERVICE_FAILED
    drip = logged["drip-1"]
    assert (drip.status, drip.outcome, drip.error_code) == (200, "failed", xe.SERVICE_FAILED)
    assert 0 < drip.response_size == len(received)
