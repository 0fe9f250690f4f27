"""Path and method tricks are refused, never forwarded (issue 14, finding 8). The access right is checked
against the path and method as the gateway reads them; each trick below is read differently by some
provider framework (Tomcat's `..;`, Windows' `\\`, double decoding, Unicode best-fit and NFKC mapping, IIS's
`%u`, method-override headers), so it would reach an endpoint the right does not cover. Each is a 400
`Client.BadRequest` naming the problem, logged (the caller had authenticated), and the provider sees nothing.

Requests go to the app exactly as uvicorn hands them over (`raw_path` as sent, `path` percent-decoded once):
httpx would normalise some of these paths before sending them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.message_log.repository import ExchangeRepository
from tests.functional.exchange.gateway_support import (
    ELIGIBILITY,
    Network,
    Provider,
    caller_headers,
    grant,
    network,
    provider_app,
)
from tests.functional.members.services_support import SERVICE
from tests.support.live_server import free_port, serve_in_thread
from tests.support.outbound import loopback_guard

PREFIX = f"/r1/{SERVICE}".encode()

#: (raw path after the service id, as sent on the wire), one per trick.
PATH_TRICKS = [
    b"/eligibility/..;",  # Tomcat: ..;/ is ../
    b"/eligibility/..;/..;/admin",
    b"/eligibility/4857773456;jsessionid=1",  # path parameters
    b"/eligibility/..%3B",  # an encoded ;
    b"/eligibility/..\\admin",  # a separator on Windows servers
    b"/eligibility/4857773456%5C..%5Cadmin",  # an encoded backslash
    b"/eligibility/4857773456%2F..%2F..%2Fadmin",  # an encoded slash: one segment here, three there
    b"/eligibility/%2e%2e",  # an encoded dot segment
    b"/eligibility/%2E",
    b"/eligibility/...",  # Windows drops trailing dots
    b"/eligibility/..%20",
    b"/eligibility/%252e%252e",  # double encoded
    b"/eligibility/%252f",
    b"/eligibility/%255c",
    b"/eligibility/%E2%80%A4%E2%80%A4",  # U+2024 ONE DOT LEADER, twice
    b"/eligibility/%E2%80%A5",  # U+2025 TWO DOT LEADER
    b"/eligibility/%EF%BC%8E%EF%BC%8E",  # U+FF0E FULLWIDTH FULL STOP
    b"/eligibility/%E3%80%82%E3%80%82",  # U+3002 IDEOGRAPHIC FULL STOP
    b"/eligibility/%EF%B9%92%EF%B9%92",  # U+FE52 SMALL FULL STOP
    b"/eligibility/%EF%BD%A1",  # U+FF61 HALFWIDTH IDEOGRAPHIC FULL STOP
    b"/eligibility/%EF%BC%8F",  # U+FF0F FULLWIDTH SOLIDUS
    b"/eligibility/%E2%88%95admin",  # U+2215 DIVISION SLASH
    b"/eligibility/%EF%BC%BCadmin",  # U+FF3C FULLWIDTH REVERSE SOLIDUS
    b"/eligibility/%C0%AE%C0%AE",  # an overlong UTF-8 dot
    b"/eligibility/%u002e%u002e",  # IIS
    b"/eligibility/4857773456%00",  # NUL
    b"/eligibility/4857773456%0DX-Injected:%201",  # CR (with LF the route does not match: a 404)
    b"/eligibility/4857773456%09",  # TAB
    b"/eligibility/4857773456%E2%80%AE",  # U+202E RIGHT-TO-LEFT OVERRIDE
    b"/eligibility/4857773456%3F.json",  # an encoded ?
]
#: Headers (and a query parameter) asking the provider for another method or path than the right is for.
OVERRIDES: list[tuple[dict[str, str], bytes]] = [
    ({"X-HTTP-Method-Override": "DELETE"}, b""),
    ({"X-HTTP-Method": "DELETE"}, b""),
    ({"X-Method-Override": "PUT"}, b""),
    ({"X-Original-URL": "/admin"}, b""),
    ({"X-Rewrite-URL": "/admin"}, b""),
    ({}, b"_method=DELETE"),
    ({}, b"x=1&_METHOD=put"),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()
    with serve_in_thread(provider_app(state)) as url:
        yield state, url


@pytest.fixture
async def gateway_app(app: FastAPI) -> AsyncIterator[FastAPI]:
    app.state.outbound_guard = loopback_guard()
    app.state.gateway_forwarder = Forwarder(ForwarderConfig(connect_timeout=1.0), app.state.outbound_guard)
    yield app
    await app.state.gateway_forwarder.aclose()


@pytest.fixture
async def net(session: AsyncSession, provider: tuple[Provider, str]) -> Network:
    built = await network(session, provider[1], f"http://127.0.0.1:{free_port()}")
    await grant(session, ELIGIBILITY)
    return built


async def as_sent(
    app: FastAPI, raw_path: bytes, headers: dict[str, str], query: bytes = b""
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """GET the app as uvicorn hands a request over: `raw_path` as sent, `path` decoded once."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[MutableMapping[str, Any]] = []
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    answer_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return start["status"], answer_headers, json.loads(body) if body else {}


async def assert_refused(
    app: FastAPI,
    session: AsyncSession,
    provider: Provider,
    raw_path: bytes,
    headers: dict[str, str],
    query: bytes = b"",
) -> str:
    seen = len(provider.seen)
    status, answer_headers, body = await as_sent(app, raw_path, headers, query)
    assert (status, answer_headers.get("x-road-error")) == (400, xe.BAD_REQUEST), (raw_path, query, body)
    assert len(provider.seen) == seen, f"{raw_path!r} {query!r} reached the provider"
    record = await ExchangeRepository(session).by_message_id(answer_headers["x-road-id"])
    assert record is not None, "an authenticated caller's refusal is logged"
    assert (record.outcome, record.error_code) == ("refused", xe.BAD_REQUEST)
    # Logged as text on both databases (PostgreSQL's text refuses NUL): controls percent-encoded.
    assert record.path.isprintable(), record.path
    message: str = body["message"]
    return message


@pytest.mark.usefixtures("gateway_app")
async def test_every_path_trick_is_refused_and_never_forwarded(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: tuple[Provider, str],
    net: Network,
) -> None:
    headers = await caller_headers(client, net)
    for rest in PATH_TRICKS:
        headers["X-Road-Id"] = str(uuid.uuid4())
        message = await assert_refused(app, session, provider[0], PREFIX + rest, headers)
        assert "The path segment" in message, rest
        assert "the gateway does not forward such paths" in message, rest


@pytest.mark.usefixtures("gateway_app")
async def test_every_method_or_path_override_is_refused_and_never_forwarded(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: tuple[Provider, str],
    net: Network,
) -> None:
    headers = await caller_headers(client, net)
    for extra, query in OVERRIDES:
        headers["X-Road-Id"] = str(uuid.uuid4())
        sent = {**headers, **extra}
        message = await assert_refused(
            app, session, provider[0], PREFIX + b"/eligibility/4857773456", sent, query
        )
        assert "is not forwarded" in message, (extra, query)


@pytest.mark.usefixtures("gateway_app")
async def test_a_line_feed_matches_no_route_and_is_never_forwarded(
    app: FastAPI, client: httpx.AsyncClient, provider: tuple[Provider, str], net: Network
) -> None:
    seen = len(provider[0].seen)
    headers = await caller_headers(client, net)
    status, _, _ = await as_sent(app, PREFIX + b"/eligibility/1%0D%0AX-Injected:%201", headers)
    assert status == 404
    assert len(provider[0].seen) == seen


@pytest.mark.usefixtures("gateway_app")
async def test_ordinary_paths_still_pass(
    app: FastAPI, client: httpx.AsyncClient, provider: tuple[Provider, str], net: Network
) -> None:
    """Dots inside a segment, spaces, `%`, `+`, `@`, `:` and non-ASCII letters are ordinary values."""
    for value in (
        b"4857773456.json",
        b"Zo%C3%AB%20Smith",
        b"50%25",
        b"a+b@c:d",
        b"%E6%97%A5%E6%9C%AC",
        b"..a",
    ):
        headers = await caller_headers(client, net)
        status, _, body = await as_sent(app, PREFIX + b"/eligibility/" + value, headers, b"full=yes")
        assert status == 200, body
        assert body["nhsNumber"] == unquote(value.decode("ascii"))
        assert provider[0].seen[-1]["path"] == "/eligibility/" + unquote(value.decode("ascii"))
