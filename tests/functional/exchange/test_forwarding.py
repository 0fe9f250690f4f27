"""The forwarding core against a real provider: both the provider and a small gateway app run under uvicorn on
loopback ports, so bodies really stream over sockets (httpx's ASGI transport would buffer them)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.gateway.relay import CALLER_GONE, Outcome
from govhub.exchange.gateway.xroad_headers import header_block, request_hash
from tests.support.live_server import free_port, serve_in_thread
from tests.support.outbound import loopback_guard

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
BIG_CHUNK = 64 * 1024
BIG_CHUNKS = 768  # 48 MiB: well over what any buffering in the path holds
READ_TIMEOUT = 0.5
MAX_REQUEST = 1_000_000
TINY_REQUEST = 1000
SMALL_RESPONSE = 1000
EXTRA = {
    "X-Road-Client": "GOV/GOV/70000001/benefits",
    "X-Road-Service": "GOV/GOV/70000002/population/echo",
    "X-Road-UserId": "EE38001085718",
}


@dataclass
class Provider:
    """What the provider saw: one entry per request that reached a handler."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    big_done: bool = False

    def at(self, path: str) -> list[dict[str, Any]]:
        return [entry for entry in self.seen if entry["path"] == path]


def provider_app(provider: Provider) -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo/{rest:path}", methods=ALL_METHODS)
    async def echo(request: Request, rest: str) -> Response:
        entry: dict[str, Any] = {
            "path": request.url.path,
            "headers": [[name, value] for name, value in request.headers.items()],
            "completed": False,
            "size": 0,
        }
        provider.seen.append(entry)
        digest = hashlib.sha256()
        try:
            async for chunk in request.stream():
                entry["size"] += len(chunk)
                digest.update(chunk)
        except ClientDisconnect:
            return Response(status_code=400)
        entry["completed"] = True
        return JSONResponse(
            {"headers": entry["headers"], "size": entry["size"], "sha256": digest.hexdigest(), "rest": rest},
            status_code=201 if request.method == "POST" else 200,
            headers={
                "Set-Cookie": "provider=1",
                "Server": "secret-host",
                "X-Road-Error": "fake",
                "X-Provider": "y",
            },
        )

    @app.get("/big")
    async def big() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(BIG_CHUNKS):
                yield b"x" * BIG_CHUNK
            provider.big_done = True

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @app.get("/dies")
    async def dies() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"partial " * 100
            await asyncio.sleep(0.05)
            raise RuntimeError("the provider crashed mid-response")

        return StreamingResponse(chunks())

    @app.get("/slow")
    async def slow() -> Response:
        await asyncio.sleep(READ_TIMEOUT * 4)
        return Response(b"too late")

    @app.get("/fail")
    async def fail() -> Response:
        return Response(b"provider broke", status_code=500, headers={"X-Road-Error": "fake"})

    @app.get("/redirect")
    async def redirect() -> Response:
        return Response(status_code=302, headers={"Location": "http://169.254.169.254/"})

    @app.get("/declared")
    async def declared() -> Response:
        return Response(b"d" * (SMALL_RESPONSE * 5))

    @app.get("/chunked")
    async def chunked() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"c" * (SMALL_RESPONSE // 2)

        return StreamingResponse(chunks())

    return app


@dataclass
class Gateway:
    url: str
    outcomes: dict[str, Outcome]

    async def outcome(self, message_id: str) -> Outcome:
        """The outcome is settled in the server's thread just after the last byte goes: wait for it."""
        deadline = time.monotonic() + 5
        while message_id not in self.outcomes:
            assert time.monotonic() < deadline, "no outcome was recorded"
            await asyncio.sleep(0.01)
        return self.outcomes[message_id]


def gateway_app(provider_url: str, down_url: str, outcomes: dict[str, Outcome]) -> FastAPI:
    forwarder: Forwarder | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal forwarder
        forwarder = Forwarder(
            ForwarderConfig(connect_timeout=1.0, read_timeout=READ_TIMEOUT), loopback_guard()
        )
        yield
        await forwarder.aclose()

    app = FastAPI(lifespan=lifespan)

    async def record(outcome: Outcome) -> None:
        outcomes[outcome.message_id] = outcome

    async def forward(request: Request, base: str, rest: str, **limits: Any) -> Response:
        assert forwarder is not None
        query = f"?{request.url.query}" if request.url.query else ""
        return await forwarder.forward(
            request,
            f"{base}/{rest}{query}",
            message_id=request.headers["x-test-message-id"],
            extra_headers=EXTRA,
            on_complete=record,
            **{"max_request_bytes": MAX_REQUEST, **limits},
        )

    @app.api_route("/gw/{rest:path}", methods=ALL_METHODS)
    async def gw(request: Request, rest: str) -> Response:
        return await forward(request, provider_url, rest)

    @app.api_route("/tiny/{rest:path}", methods=ALL_METHODS)
    async def tiny(request: Request, rest: str) -> Response:
        return await forward(request, provider_url, rest, max_request_bytes=TINY_REQUEST)

    @app.api_route("/small/{rest:path}", methods=ALL_METHODS)
    async def small(request: Request, rest: str) -> Response:
        return await forward(request, provider_url, rest, max_response_bytes=SMALL_RESPONSE)

    @app.api_route("/down/{rest:path}", methods=ALL_METHODS)
    async def down(request: Request, rest: str) -> Response:
        return await forward(request, down_url, rest)

    return app


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()
    with serve_in_thread(provider_app(state)) as url:
        yield state, url


@pytest.fixture(scope="module")
def gateway(provider: tuple[Provider, str]) -> Iterator[Gateway]:
    outcomes: dict[str, Outcome] = {}
    down_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with serve_in_thread(gateway_app(provider[1], down_url, outcomes)) as url:
        yield Gateway(url, outcomes)


@pytest.fixture
async def caller(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10, trust_env=False) as client:
        yield client


def message_id() -> str:
    return str(uuid.uuid4())


def expected_hash(method: str, target: str, received: list[list[str]], body: bytes) -> str:
    """The request hash recomputed from what the provider received (less what httpx adds on the wire)."""
    sent = [(name, value) for name, value in received if name not in {"host", "transfer-encoding"}]
    return request_hash(header_block(method, target, sent), hashlib.sha512(body).digest() if body else None)


def assert_xroad_error(response: httpx.Response, status: int, error_type: str, mid: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == xe.CONTENT_TYPE
    assert response.headers["x-road-error"] == error_type
    assert response.headers["x-road-id"] == mid
    body = response.json()
    assert body["type"] == error_type
    assert body["detail"] == mid
    assert body["message"]


async def test_request_and_response_pass_through_with_the_caller_s_secrets_dropped(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    body = '{"question": "Zoë?"}'.encode()
    response = await caller.post(
        "/gw/echo/people?q=1&q=2",
        content=body,
        headers={
            "x-test-message-id": mid,
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "Authorization": "Bearer caller-token",
            "Cookie": "session=caller",
            "Connection": "keep-alive, X-Hop",
            "X-Hop": "named by Connection",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Proxy-Authorization": "Basic eA==",
            "X-Forwarded-For": "10.0.0.1",
            "X-Road-UserId": "EE-FORGED",
            "X-Road-Client": "GOV/GOV/forged/forged",
            "X-Road-Issue": "case-42",
            "User-Agent": "caller-host/1.0",
        },
    )
    assert response.status_code == 201, response.text
    echoed = response.json()
    received = dict(echoed["headers"])
    for secret in ("authorization", "cookie", "x-hop", "keep-alive", "te", "proxy-authorization"):
        assert secret not in received
    assert "x-forwarded-for" not in received
    assert "user-agent" not in received
    assert received["x-road-userid"] == EXTRA["X-Road-UserId"]
    assert received["x-road-client"] == EXTRA["X-Road-Client"]
    assert received["x-road-id"] == mid
    assert received["x-road-issue"] == "case-42"
    assert received["content-type"] == "application/json; charset=utf-8"
    assert received["accept"] == "application/json"
    assert received["accept-encoding"] == "identity"  # the caller's, not httpx's default
    assert echoed["rest"] == "people"
    assert (echoed["size"], echoed["sha256"]) == (len(body), hashlib.sha256(body).hexdigest())

    assert response.headers["x-road-id"] == mid
    assert response.headers["x-road-client"] == EXTRA["X-Road-Client"]
    assert response.headers["x-road-service"] == EXTRA["X-Road-Service"]
    assert response.headers["x-provider"] == "y"
    assert "set-cookie" not in response.headers
    assert "x-road-error" not in response.headers
    assert response.headers.get("server") != "secret-host"
    hashed = expected_hash("POST", "/gw/echo/people?q=1&q=2", echoed["headers"], body)
    assert response.headers["x-road-request-hash"] == hashed

    outcome = await gateway.outcome(mid)
    assert outcome.status == 201
    assert outcome.log_outcome == "ok"
    assert outcome.completed
    assert outcome.reached_provider
    assert outcome.error_type is None
    assert outcome.request_size == len(body)
    assert outcome.request_sha256 == hashlib.sha256(body).hexdigest()
    assert outcome.response_size == len(response.content)
    assert outcome.response_sha256 == hashlib.sha256(response.content).hexdigest()
    assert outcome.request_hash == hashed
    assert outcome.duration_ms >= 0
    assert outcome.started_at.tzinfo is not None


async def test_a_chunked_request_body_streams_to_the_provider(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    parts = [bytes([n % 256]) * 512 for n in range(1000)]  # 512 000 bytes, under the 1 MB limit

    async def body() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    response = await caller.put("/gw/echo/upload", content=body(), headers={"x-test-message-id": mid})
    whole = b"".join(parts)
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert (echoed["size"], echoed["sha256"]) == (len(whole), hashlib.sha256(whole).hexdigest())
    assert dict(echoed["headers"]).get("transfer-encoding") == "chunked"
    # The first test's provider answered with Set-Cookie: a shared client must not replay it to anyone.
    assert "cookie" not in dict(echoed["headers"])
    assert response.headers["x-road-request-hash"] == expected_hash(
        "PUT", "/gw/echo/upload", echoed["headers"], whole
    )
    outcome = await gateway.outcome(mid)
    assert (outcome.request_size, outcome.request_sha256) == (len(whole), hashlib.sha256(whole).hexdigest())


async def test_a_48_mib_response_streams_in_bounded_memory(
    caller: httpx.AsyncClient, gateway: Gateway, provider: tuple[Provider, str]
) -> None:
    state, _ = provider
    state.big_done = False
    mid = message_id()
    digest = hashlib.sha256()
    size = 0
    done_at_first_chunk: bool | None = None
    tracemalloc.start()
    try:
        async with caller.stream("GET", "/gw/big", headers={"x-test-message-id": mid}) as response:
            assert response.status_code == 200
            async for chunk in response.aiter_raw():
                if done_at_first_chunk is None:
                    done_at_first_chunk = state.big_done
                size += len(chunk)
                digest.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == BIG_CHUNK * BIG_CHUNKS
    assert done_at_first_chunk is False  # the first bytes arrived while the provider was still sending
    # Measured: about 2 MiB on the asyncio loop; about 10 MiB on uvloop (uvicorn's default here), flat from
    # 20 MiB to 80 MiB bodies (libuv reads several 64 KiB blocks per poll before anyio pauses reading).
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes: the body was buffered somewhere"
    outcome = await gateway.outcome(mid)
    assert outcome.completed
    assert outcome.response_size == size
    assert outcome.response_sha256 == digest.hexdigest()
    assert outcome.request_size == 0
    assert outcome.request_hash == response.headers["x-road-request-hash"]


async def test_a_declared_oversized_body_is_refused_before_the_provider_is_called(
    caller: httpx.AsyncClient, gateway: Gateway, provider: tuple[Provider, str]
) -> None:
    mid = message_id()
    response = await caller.post(
        "/tiny/echo/declared-too-big", content=b"a" * (TINY_REQUEST * 5), headers={"x-test-message-id": mid}
    )
    assert_xroad_error(response, 413, xe.MESSAGE_TOO_LARGE, mid)
    assert provider[0].at("/echo/declared-too-big") == []
    outcome = await gateway.outcome(mid)
    assert outcome.log_outcome == "refused"
    assert not outcome.reached_provider
    assert outcome.error_type == xe.MESSAGE_TOO_LARGE
    assert outcome.status == 413


async def test_an_oversized_chunked_body_is_cut_off_and_never_completes_at_the_provider(
    caller: httpx.AsyncClient, gateway: Gateway, provider: tuple[Provider, str]
) -> None:
    mid = message_id()

    async def body() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"b" * 100

    response = await caller.post(
        "/tiny/echo/chunked-too-big", content=body(), headers={"x-test-message-id": mid}
    )
    assert_xroad_error(response, 413, xe.MESSAGE_TOO_LARGE, mid)
    await asyncio.sleep(0.2)  # let the provider notice the dropped connection
    seen = provider[0].at("/echo/chunked-too-big")
    assert all(not entry["completed"] and entry["size"] <= TINY_REQUEST for entry in seen)
    outcome = await gateway.outcome(mid)
    assert outcome.error_type == xe.MESSAGE_TOO_LARGE
    assert outcome.request_hash is None


async def test_a_slow_provider_is_a_504_within_the_read_timeout(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    started = time.monotonic()
    response = await caller.get("/gw/slow", headers={"x-test-message-id": mid})
    assert time.monotonic() - started < READ_TIMEOUT * 3
    assert_xroad_error(response, 504, xe.SERVICE_FAILED, mid)
    outcome = await gateway.outcome(mid)
    assert outcome.log_outcome == "failed"
    assert outcome.reached_provider
    assert outcome.request_hash == response.headers["x-road-request-hash"]


async def test_a_provider_that_is_down_is_a_502(caller: httpx.AsyncClient, gateway: Gateway) -> None:
    mid = message_id()
    response = await caller.get("/down/anything", headers={"x-test-message-id": mid})
    assert_xroad_error(response, 502, xe.NETWORK_ERROR, mid)
    assert "127.0.0.1" not in response.text  # the provider's address stays private
    outcome = await gateway.outcome(mid)
    assert outcome.error_type == xe.NETWORK_ERROR
    assert not outcome.reached_provider


async def test_the_provider_s_own_500_passes_through_with_the_xroad_headers(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    response = await caller.get("/gw/fail", headers={"x-test-message-id": mid})
    assert response.status_code == 500
    assert response.content == b"provider broke"
    assert response.headers["x-road-id"] == mid
    assert response.headers["x-road-request-hash"]
    assert "x-road-error" not in response.headers  # PR-REST §4.6 ex. 5: no X-Road-Error, the provider failed
    outcome = await gateway.outcome(mid)
    assert outcome.status == 500
    assert outcome.error_type is None
    assert outcome.completed


async def test_redirects_are_passed_back_not_followed(caller: httpx.AsyncClient, gateway: Gateway) -> None:
    mid = message_id()
    response = await caller.get("/gw/redirect", headers={"x-test-message-id": mid})
    assert response.status_code == 302
    assert response.headers["location"] == "http://169.254.169.254/"
    assert (await gateway.outcome(mid)).status == 302


async def test_a_response_declared_over_its_limit_is_refused(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    response = await caller.get("/small/declared", headers={"x-test-message-id": mid})
    assert_xroad_error(response, 502, xe.INVALID_RESPONSE, mid)
    assert (await gateway.outcome(mid)).log_outcome == "failed"


async def test_a_response_growing_over_its_limit_is_cut_off_and_recorded(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    with pytest.raises(httpx.RemoteProtocolError):
        await caller.get("/small/chunked", headers={"x-test-message-id": mid})
    outcome = await gateway.outcome(mid)
    assert outcome.status == 200
    assert not outcome.completed
    assert outcome.error_type == xe.INVALID_RESPONSE
    assert outcome.response_size > SMALL_RESPONSE


async def test_a_provider_dying_mid_response_is_recorded_and_the_caller_sees_a_broken_body(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    with pytest.raises(httpx.RemoteProtocolError):
        await caller.get("/gw/dies", headers={"x-test-message-id": mid})
    outcome = await gateway.outcome(mid)
    assert outcome.status == 200
    assert not outcome.completed
    assert outcome.error_type == xe.NETWORK_ERROR
    assert outcome.log_outcome == "failed"
    assert outcome.response_size == len(b"partial " * 100)


async def test_a_caller_leaving_mid_stream_stops_the_relay_and_is_recorded(
    caller: httpx.AsyncClient, gateway: Gateway
) -> None:
    mid = message_id()
    async with caller.stream("GET", "/gw/big", headers={"x-test-message-id": mid}) as response:
        async for _ in response.aiter_raw():
            break  # leaving the block unread closes the connection
    outcome = await gateway.outcome(mid)
    assert not outcome.completed
    assert outcome.error_type == CALLER_GONE
    # The relay stopped early (uvicorn would otherwise swallow the sends and let us drain the provider).
    assert outcome.response_size < BIG_CHUNK * BIG_CHUNKS // 2


def test_the_request_hash_is_sha512_of_the_two_sha512_digests_in_base64() -> None:
    headers, body = b"GET /x\r\n", b"body"
    inner = hashlib.sha512(headers).digest() + hashlib.sha512(body).digest()
    assert (
        request_hash(headers, hashlib.sha512(body).digest())
        == base64.b64encode(hashlib.sha512(inner).digest()).decode()
    )
    assert request_hash(headers, None) == base64.b64encode(hashlib.sha512(headers).digest()).decode()


def test_an_xroad_error_renders_as_pr_rest_says() -> None:
    response = xe.render(xe.XRoadError(xe.ACCESS_DENIED, "No access.", "m-1"))
    assert response.status_code == 403
    assert response.headers["x-road-error"] == xe.ACCESS_DENIED
    assert response.headers["x-road-id"] == "m-1"
    assert (
        response.body
        == b'{"type": "Server.ServerProxy.AccessDenied", "message": "No access.", "detail": "m-1"}'
    )
