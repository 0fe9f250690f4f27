"""The gateway connects only to addresses the outbound-address guard let through (issue 14, finding 2),
checked when connecting, not only at registration: a name that resolved to a public address when the
service was registered and resolves to a refused one when it is called (DNS rebinding) is refused and never
connected to; so is a stored literal address an operator no longer allows. An allowed network lets a
loopback provider work, by address and by name. A provider's redirect is passed back, never followed.
The app in process, providers under uvicorn on loopback ports."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from ipaddress import ip_address

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.kit.outbound import OutboundGuard, StaticResolver
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from tests.functional.exchange.gateway_support import (
    ELIGIBILITY,
    caller_headers,
    gateway_path,
    grant,
    network,
)
from tests.functional.members.services_support import SERVICE_ID
from tests.support.live_server import free_port, serve_in_thread
from tests.support.outbound import LOOPBACK, PUBLIC_ADDRESS

NHS = "/eligibility/4857773456"


@dataclass
class Seen:
    paths: list[str] = field(default_factory=list)


def provider_app(seen: Seen, internal_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/eligibility/{nhs_number}")
    async def eligibility(request: Request, nhs_number: str) -> Response:
        seen.paths.append(request.url.path)
        if nhs_number == "0000000000":
            return Response(status_code=302, headers={"Location": f"{internal_url}/secrets"})
        return JSONResponse({"nhsNumber": nhs_number, "eligible": True})

    return app


def internal_app(seen: Seen) -> FastAPI:
    """A service inside the platform's network that no member may reach."""
    app = FastAPI()

    @app.get("/secrets")
    async def secrets(request: Request) -> Response:
        seen.paths.append(request.url.path)
        return JSONResponse({"secret": "s3cr3t"})

    return app


@pytest.fixture(scope="module")
def internal() -> Iterator[tuple[Seen, str]]:
    seen = Seen()
    with serve_in_thread(internal_app(seen)) as url:
        yield seen, url


@pytest.fixture(scope="module")
def provider(internal: tuple[Seen, str]) -> Iterator[tuple[Seen, str]]:
    seen = Seen()
    with serve_in_thread(provider_app(seen, internal[1])) as url:
        yield seen, url


@pytest.fixture
def resolver() -> StaticResolver:
    """DNS as the test decides it: `rebind.test` starts public."""
    return StaticResolver({"rebind.test": [PUBLIC_ADDRESS], "loopback.test": ["127.0.0.1"]})


async def _with_guard(app: FastAPI, guard: OutboundGuard) -> Forwarder:
    app.state.outbound_guard = guard
    forwarder = app.state.gateway_forwarder = Forwarder(ForwarderConfig(connect_timeout=1.0), guard)
    return forwarder


@pytest.fixture
async def public_only(app: FastAPI, resolver: StaticResolver) -> AsyncIterator[OutboundGuard]:
    """The app's guard as production has it: nothing allowed beyond public addresses."""
    guard = OutboundGuard((), resolver)
    forwarder = await _with_guard(app, guard)
    yield guard
    await forwarder.aclose()


async def test_a_name_that_moves_inside_after_registration_is_refused_and_never_connected(
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: tuple[Seen, str],
    resolver: StaticResolver,
    public_only: OutboundGuard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = provider[1].rsplit(":", 1)[1]
    # Registered while the name resolves to a public address: accepted.
    net = await network(session, f"http://rebind.test:{port}", "http://rebind.test:9", public_only)
    await grant(session, ELIGIBILITY)
    # Then the member's DNS answers with the provider's loopback address (or the metadata service).
    for inside in ("127.0.0.1", "::ffff:127.0.0.1", "169.254.169.254"):
        resolver.set("rebind.test", [inside])
        headers = await caller_headers(client, net)
        with caplog.at_level(logging.WARNING, logger="govhub.exchange.forwarding"):
            answer = await client.get(gateway_path(NHS), headers=headers)
        assert answer.status_code == 502, answer.text
        assert answer.headers["x-road-error"] == xe.ADDRESS_REFUSED
        assert answer.json()["message"] == "The provider's address is not one the gateway may call."
        assert inside not in answer.text  # the provider's addresses are not the caller's business
        record = await ExchangeRepository(session).by_message_id(headers["X-Road-Id"])
        assert record is not None
        assert (record.status, record.outcome, record.error_code) == (502, "failed", xe.ADDRESS_REFUSED)
        logged = [r for r in caplog.records if getattr(r, "message_id", None) == headers["X-Road-Id"]]
        assert [getattr(r, "host", None) for r in logged] == ["rebind.test"]
        assert f"resolves to {ip_address(inside)}" in logged[0].getMessage()
    assert provider[0].paths == [], "the provider was connected to"


@pytest.mark.usefixtures("public_only")
async def test_a_stored_literal_address_no_longer_allowed_is_refused_when_called(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Seen, str]
) -> None:
    """A service registered while loopback was allowed (or before the guard): the address is checked on
    every connection, so taking loopback out of the allowed networks stops it at once."""
    net = await network(session, provider[1], f"http://127.0.0.1:{free_port()}", OutboundGuard(LOOPBACK))
    await grant(session, ELIGIBILITY)
    seen = len(provider[0].paths)
    headers = await caller_headers(client, net)
    answer = await client.get(gateway_path(NHS), headers=headers)
    assert (answer.status_code, answer.headers["x-road-error"]) == (502, xe.ADDRESS_REFUSED)
    assert len(provider[0].paths) == seen


async def test_an_allowed_network_lets_a_loopback_provider_work_by_address_and_by_name(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: tuple[Seen, str],
    resolver: StaticResolver,
) -> None:
    forwarder = await _with_guard(app, OutboundGuard(LOOPBACK, resolver))
    try:
        net = await network(session, provider[1], f"http://127.0.0.1:{free_port()}", app.state.outbound_guard)
        await grant(session, ELIGIBILITY)
        by_address = await client.get(gateway_path(NHS), headers=await caller_headers(client, net))
        assert by_address.status_code == 200, by_address.text
        port = provider[1].rsplit(":", 1)[1]
        await ServicesService(session).update(
            COMMAND_LINE_ACTOR,
            SERVICE_ID,
            base_url=f"http://loopback.test:{port}",
            outbound=app.state.outbound_guard,
        )
        by_name = await client.get(gateway_path(NHS), headers=await caller_headers(client, net))
        assert by_name.status_code == 200, by_name.text
        assert by_name.json() == {"nhsNumber": "4857773456", "eligible": True}
    finally:
        await forwarder.aclose()


async def test_a_redirect_is_passed_back_never_followed(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: tuple[Seen, str],
    internal: tuple[Seen, str],
    resolver: StaticResolver,
) -> None:
    """Even with loopback allowed (so that following it would reach the internal service)."""
    forwarder = await _with_guard(app, OutboundGuard(LOOPBACK, resolver))
    try:
        net = await network(session, provider[1], f"http://127.0.0.1:{free_port()}", app.state.outbound_guard)
        await grant(session, ELIGIBILITY)
        answer = await client.get(
            gateway_path("/eligibility/0000000000"), headers=await caller_headers(client, net)
        )
        assert answer.status_code == 302, answer.text
        assert answer.headers["location"] == f"{internal[1]}/secrets"
        assert internal[0].paths == []
    finally:
        await forwarder.aclose()
