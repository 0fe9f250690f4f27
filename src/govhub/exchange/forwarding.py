"""The gateway's forwarding core: a request streamed to a provider and its response streamed back (X-Road).

The gateway route (`/r1/{serviceId}/...`) authenticates the caller, checks access and then calls
`Forwarder.forward` with the provider's URL and the X-Road headers it has verified. This module owns only the
wire: headers in and out, body streaming with limits, the request hash, upstream failures as X-Road errors,
and the facts the message log needs (`Outcome`).

Protocol: X-Road Message Protocol for REST (PR-REST 1.0, nordic-institute/X-Road
``doc/Protocols/pr-rest_x-road_message_protocol_for_rest.md``):

- §4.3 headers and the request hash: `xroad_headers`.
- §4.4: redirects are not followed; a provider's 3xx passes through.
- §4.6 category 1: a provider's own 4xx/5xx passes through as-is (plus the X-Road headers); errors of ours are
  `xroad_errors.XRoadError` bodies with X-Road-Error.

Streaming: the request body goes to httpx as an async generator over `request.stream()` (counted and hashed as
it goes; over the limit it raises, so the provider sees an unfinished chunked body and the connection is
dropped); a declared Content-Length over the limit is refused before the provider is contacted. The response
body is relayed with `aiter_raw` (no decompression, no buffering).

Completion: `ForwardedResponse.outcome` is an `asyncio.Future[Outcome]` resolved when the response has been
sent (or has failed); `on_complete`, if given, is awaited then, shielded from cancellation, also after a
failure mid-stream. The gateway writes the message log from either. A failure after the status line has gone
(provider dies mid-body, response over its limit) cannot change the status: it is recorded in the outcome and
`ResponseAborted` is raised so the server drops the connection rather than end the body as if complete.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Literal

import anyio
import httpx
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from govhub.exchange import xroad_errors as xe
from govhub.exchange.xroad_headers import (
    ECHOED,
    header_block,
    outgoing_headers,
    request_hash,
    response_headers,
)
from govhub.kit.clock import utcnow

LogOutcome = Literal["ok", "refused", "failed"]
#: Recorded in the outcome (never sent) when the caller disconnects before the response has been sent.
CALLER_GONE = "Client.Disconnected"


@dataclass(frozen=True)
class ForwarderConfig:
    """Timeouts (seconds) and the connection pool of the one upstream client."""

    connect_timeout: float = 5.0
    #: Longest wait for the provider between bytes, the first response byte included.
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    #: Longest wait for a free pooled connection; beyond it we answer 503 rather than queue without end.
    pool_timeout: float = 5.0
    max_connections: int = 200
    max_keepalive_connections: int = 50
    keepalive_expiry: float = 15.0


@dataclass(frozen=True)
class Outcome:
    """What the message log needs about one forwarded exchange, final once the response has been sent."""

    message_id: str
    status: int
    started_at: datetime
    duration_ms: int
    request_size: int
    response_size: int
    request_sha256: str
    response_sha256: str
    #: The X-Road-Request-Hash sent on the response (None when the request body was not read whole).
    request_hash: str | None
    reached_provider: bool
    #: The response body was delivered to the caller to its end.
    completed: bool
    error_type: str | None = None
    error_message: str | None = None

    @property
    def log_outcome(self) -> LogOutcome:
        """The message log's outcome: stopped here for the caller's fault before the provider had the request
        is "refused"; any other error "failed" (a provider's own 4xx/5xx is "ok": the exchange happened)."""
        if self.error_type is None:
            return "ok"
        if self.error_type.startswith("Client.") and not self.reached_provider:
            return "refused"
        return "failed"


async def _caller_gone(receive: Receive) -> None:
    """Returns when the caller disconnects (the request body, if any, has been read by then)."""
    while (await receive())["type"] != "http.disconnect":
        pass


class ResponseAborted(Exception):
    """Raised after the status line has gone, so the server drops the connection: the body is incomplete."""


class _TooLarge(Exception):
    pass


class _Tally:
    """Running facts of one exchange (mutable, private); `finish` freezes them into an `Outcome`."""

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.started_at = utcnow()
        self.started = time.perf_counter()
        self.status = 0
        self.request_size = 0
        self.response_size = 0
        self.request_sha256 = hashlib.sha256()
        self.request_sha512 = hashlib.sha512()
        self.response_sha256 = hashlib.sha256()
        self.request_hash: str | None = None
        self.reached_provider = False
        self.completed = False
        self.error_type: str | None = None
        self.error_message: str | None = None

    def fail(self, error_type: str, message: str) -> None:
        if self.error_type is None:  # the first failure is the cause; later ones are its echoes
            self.error_type, self.error_message = error_type, message

    def finish(self) -> Outcome:
        return Outcome(
            message_id=self.message_id,
            status=self.status,
            started_at=self.started_at,
            duration_ms=round((time.perf_counter() - self.started) * 1000),
            request_size=self.request_size,
            response_size=self.response_size,
            request_sha256=self.request_sha256.hexdigest(),
            response_sha256=self.response_sha256.hexdigest(),
            request_hash=self.request_hash,
            reached_provider=self.reached_provider,
            completed=self.completed,
            error_type=self.error_type,
            error_message=self.error_message,
        )


#: How failures before the response head map to X-Road errors: (exception, type, message, status or None
#: for the type's own, whether the provider saw the request). First match wins, so subclasses come first.
_FAILURES: tuple[tuple[type[BaseException], str, str, int | None, bool], ...] = (
    (
        _TooLarge,
        xe.MESSAGE_TOO_LARGE,
        "The request body is over the service's limit of {limit} bytes.",
        None,
        False,
    ),
    (ClientDisconnect, xe.BAD_REQUEST, "The request body broke off.", None, False),
    (httpx.ConnectTimeout, xe.NETWORK_ERROR, "Connecting to the provider timed out.", 504, False),
    (httpx.PoolTimeout, xe.INTERNAL_ERROR, "The gateway is busy; try again.", None, False),
    (httpx.ReadTimeout, xe.SERVICE_FAILED, "The provider did not answer in time.", None, True),
    (httpx.TimeoutException, xe.SERVICE_FAILED, "The provider stopped reading the request.", None, True),
    (httpx.ConnectError, xe.NETWORK_ERROR, "The provider cannot be reached.", None, False),
    (httpx.UnsupportedProtocol, xe.NETWORK_ERROR, "The provider cannot be reached.", None, False),
    (httpx.InvalidURL, xe.NETWORK_ERROR, "The provider's address is not valid.", None, False),
    (httpx.TransportError, xe.NETWORK_ERROR, "The provider's connection failed.", None, True),
)

OnComplete = Callable[[Outcome], Awaitable[None]]


class ForwardedResponse(Response):
    """A response relayed from the provider (or an X-Road error of ours) that resolves `outcome` once sent.

    It speaks ASGI directly instead of subclassing StreamingResponse, so the outcome is settled in one
    `finally` and a failure mid-stream raises (the server drops the connection) instead of ending the body
    as if complete. A relayed body has one watcher task for the caller's disconnect, as StreamingResponse
    has; an `on_complete` that raises surfaces from here, after the response has gone."""

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        tally: _Tally,
        *,
        upstream: httpx.Response | None = None,
        body: bytes = b"",
        max_response_bytes: int | None = None,
        on_complete: OnComplete | None = None,
    ) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.background = None
        self.body = body
        self.on_complete = on_complete
        self.outcome: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._tally = tally
        self._upstream = upstream
        self._limit = max_response_bytes
        tally.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002 (ASGI's signature)
        tally = self._tally
        watcher: asyncio.Task[None] | None = None
        try:
            start = {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            await send(start)
            if self._upstream is None:
                tally.response_size = len(self.body)
                tally.response_sha256.update(self.body)
                await send({"type": "http.response.body", "body": self.body})
            else:
                # ASGI 2.3 servers (uvicorn) drop sends to a caller that has gone, silently: without this
                # watch we would drain the provider to the end and log the body as delivered.
                watcher = asyncio.get_running_loop().create_task(_caller_gone(receive))
                await self._relay(self._upstream, send, watcher)
            tally.completed = True
        except BaseException:
            tally.fail(CALLER_GONE, "the caller went away before the response was sent")
            raise
        finally:
            with anyio.CancelScope(shield=True):
                if watcher is not None:
                    watcher.cancel()
                if self._upstream is not None:
                    await self._upstream.aclose()
                outcome = tally.finish()
                if not self.outcome.done():
                    self.outcome.set_result(outcome)
                if self.on_complete is not None:
                    await self.on_complete(outcome)

    async def _relay(self, upstream: httpx.Response, send: Send, watcher: asyncio.Task[None]) -> None:
        tally = self._tally
        try:
            async for chunk in upstream.aiter_raw():
                if watcher.done():
                    tally.fail(CALLER_GONE, "the caller went away while the response was streaming")
                    raise ResponseAborted(tally.error_message)
                tally.response_size += len(chunk)
                if self._limit is not None and tally.response_size > self._limit:
                    tally.fail(xe.INVALID_RESPONSE, f"the response is over {self._limit} bytes")
                    raise ResponseAborted(tally.error_message)
                tally.response_sha256.update(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.TimeoutException as exc:
            tally.fail(xe.SERVICE_FAILED, f"the provider stopped sending the response: {exc!r}")
            raise ResponseAborted(tally.error_message) from exc
        except httpx.TransportError as exc:
            tally.fail(xe.NETWORK_ERROR, f"the provider's response broke off: {exc!r}")
            raise ResponseAborted(tally.error_message) from exc
        await send({"type": "http.response.body", "body": b""})


class Forwarder:
    """Forwards requests to providers over ONE pooled `httpx.AsyncClient` (create once per app, `aclose` at
    shutdown). `transport` is for tests and special deployments only."""

    def __init__(
        self,
        config: ForwarderConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or ForwarderConfig()
        c = self.config
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=c.connect_timeout, read=c.read_timeout, write=c.write_timeout, pool=c.pool_timeout
            ),
            limits=httpx.Limits(
                max_connections=c.max_connections,
                max_keepalive_connections=c.max_keepalive_connections,
                keepalive_expiry=c.keepalive_expiry,
            ),
            follow_redirects=False,  # PR-REST §4.4
            trust_env=False,  # no proxy or .netrc from the environment: providers are reached directly
            # One client serves every caller: a cookie one provider sets must never go out again.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            transport=transport,
        )
        # httpx adds Accept, Accept-Encoding, Connection and User-Agent by default: the provider must see the
        # caller's Accept and Accept-Encoding (or none), since the body is relayed without decoding.
        for name in list(self._client.headers.keys()):
            del self._client.headers[name]

    async def aclose(self) -> None:
        await self._client.aclose()

    async def forward(
        self,
        request: Request,
        upstream_url: str,
        *,
        message_id: str,
        extra_headers: Mapping[str, str],
        max_request_bytes: int,
        max_response_bytes: int | None = None,
        on_complete: OnComplete | None = None,
    ) -> ForwardedResponse:
        """Send `request` to `upstream_url` (the provider's URL with path and query, built by the gateway)
        with `extra_headers` (the verified X-Road-Client, X-Road-UserId, ...; X-Road-Id is always
        `message_id`) and return the response to send back. Never raises for upstream failures or bad bodies:
        they come back as X-Road error responses, with the outcome recorded."""
        tally = _Tally(message_id)
        extra = {name.lower(): value for name, value in extra_headers.items()}
        extra["x-road-id"] = message_id
        headers = outgoing_headers(request.headers.raw, extra)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")

        declared = request.headers.get("content-length")
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        if declared is not None:
            if not declared.isdigit():
                return self._error(tally, xe.BAD_REQUEST, "Content-Length is not a number", on_complete)
            if int(declared) > max_request_bytes:
                return self._error(
                    tally,
                    xe.MESSAGE_TOO_LARGE,
                    f"The request body is over the service's limit of {max_request_bytes} bytes.",
                    on_complete,
                )
            headers.append(("content-length", declared))
        has_body = chunked or (declared is not None and int(declared) > 0)
        block = header_block(request.method, target, headers)

        sent = await self._send(
            self._client.build_request(
                request.method,
                upstream_url,
                headers=headers,
                content=_request_chunks(request, tally, max_request_bytes) if has_body else None,
            ),
            tally,
            block,
            max_request_bytes,
            on_complete,
        )
        if isinstance(sent, ForwardedResponse):
            return sent
        return await self._relayed(
            sent,
            tally,
            block=block,
            extra=extra,
            max_response_bytes=max_response_bytes,
            on_complete=on_complete,
        )

    async def _send(
        self,
        upstream_request: httpx.Request,
        tally: _Tally,
        block: bytes,
        max_request_bytes: int,
        on_complete: OnComplete | None,
    ) -> httpx.Response | ForwardedResponse:
        """The provider's response head, or our X-Road error when there is none."""
        try:
            return await self._client.send(upstream_request, stream=True)
        except (_TooLarge, ClientDisconnect, httpx.TransportError, httpx.InvalidURL) as exc:
            error_type, message, status, reached = next(
                failure[1:] for failure in _FAILURES if isinstance(exc, failure[0])
            )
            tally.reached_provider = reached
            # After a read timeout the request went whole to the provider: bind the error to it too.
            bound = block if isinstance(exc, httpx.ReadTimeout) else None
            message = message.format(limit=max_request_bytes)
            return self._error(tally, error_type, message, on_complete, status=status, block=bound)

    async def _relayed(
        self,
        upstream: httpx.Response,
        tally: _Tally,
        *,
        block: bytes,
        extra: Mapping[str, str],
        max_response_bytes: int | None,
        on_complete: OnComplete | None,
    ) -> ForwardedResponse:
        tally.reached_provider = True
        tally.request_hash = _request_hash(block, tally)
        response_length = upstream.headers.get("content-length", "")
        too_long = response_length.isdigit() and int(response_length) > (max_response_bytes or 0)
        if max_response_bytes is not None and too_long:
            await upstream.aclose()
            return self._error(
                tally,
                xe.INVALID_RESPONSE,
                f"The provider's response is over the limit of {max_response_bytes} bytes.",
                on_complete,
            )
        headers = response_headers(upstream.headers.raw)
        headers += [
            (b"x-road-id", tally.message_id.encode("latin-1")),
            (b"x-road-request-hash", tally.request_hash.encode("ascii")),
        ]
        headers += [(name.encode(), extra[name].encode("latin-1")) for name in ECHOED if name in extra]
        return ForwardedResponse(
            upstream.status_code,
            headers,
            tally,
            upstream=upstream,
            max_response_bytes=max_response_bytes,
            on_complete=on_complete,
        )

    @staticmethod
    def _error(
        tally: _Tally,
        error_type: str,
        message: str,
        on_complete: OnComplete | None,
        *,
        status: int | None = None,
        block: bytes | None = None,
    ) -> ForwardedResponse:
        if block is not None:  # the request went whole to the provider: bind the error to it too
            tally.request_hash = _request_hash(block, tally)
        tally.fail(error_type, message)
        error = xe.XRoadError(error_type, message, tally.message_id, status)
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in error.headers(tally.request_hash).items()
        ]
        return ForwardedResponse(error.status, headers, tally, body=error.body(), on_complete=on_complete)


def _request_hash(block: bytes, tally: _Tally) -> str:
    return request_hash(block, tally.request_sha512.digest() if tally.request_size else None)


async def _request_chunks(request: Request, tally: _Tally, limit: int) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if not chunk:  # an empty chunk would end httpx's chunked encoding early
            continue
        tally.request_size += len(chunk)
        if tally.request_size > limit:
            raise _TooLarge
        tally.request_sha256.update(chunk)
        tally.request_sha512.update(chunk)
        yield chunk
