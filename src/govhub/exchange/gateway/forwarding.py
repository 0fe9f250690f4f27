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

Streaming: the request body goes to aiohttp as an async generator over `request.stream()` (counted and
hashed as it goes; over the limit it raises, so the provider sees an unfinished body and the connection is
dropped); a declared Content-Length over the limit is refused before the provider is contacted. The
response body is relayed as it arrives (`iter_any`, no decompression, no buffering).

Outbound addresses (issue 14): the session's connector resolves names through the platform's outbound-address
guard (`kit.outbound.GuardedResolver`), so it connects only to addresses the guard let through, the very ones
it checked; an IP literal is checked before the request. A refused address is `Server.ServerProxy.
AddressRefused` (502), logged with the address and why (the caller is told only that it is refused); a name
that does not resolve is a network error as before.

Fair shares (issue 14): at most `max_connections_per_provider` connections to one provider (host and port,
aiohttp's `limit_per_host`), so a slow provider cannot take the whole pool; and a `deadline` per exchange
(from its arrival to the response's last byte), so a provider that drips a byte every few seconds, never
tripping the read timeout, is cut off: a 504 `ServiceFailed` before the response head, a dropped connection
after it, logged as failed either way.

The client is aiohttp's, one session per app node: against the same provider it made 3,500 requests/s on one
connection where httpx made 740, and 5,800/s over 32 where httpx's pool, which scans every connection on
each request, made 150 (docs/benchmarks.md, "Exchange gateway").

Completion (the response half, in `relay`): `ForwardedResponse.outcome` is an `asyncio.Future[Outcome]`
resolved when the response has been sent (or has failed); `on_complete`, if given, is awaited then,
shielded from cancellation, also after a failure mid-stream. The gateway writes the message log from
either. A failure after the status line has gone (provider dies mid-body, response over its limit) cannot
change the status: it is recorded in the outcome and `ResponseAborted` is raised so the server drops the
connection rather than end the body as if complete.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from starlette.requests import ClientDisconnect, Request
from yarl import URL

from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.relay import (
    ForwardedResponse,
    OnComplete,
    Tally,
)
from govhub.exchange.gateway.xroad_headers import (
    ECHOED,
    header_block,
    outgoing_headers,
    request_hash,
    response_headers,
)
from govhub.kit.outbound import AddressRefused, OutboundGuard, Unresolvable
from govhub.kit.outbound.aiohttp_resolver import GuardedResolver

logger = logging.getLogger("govhub.exchange.forwarding")


@dataclass(frozen=True)
class ForwarderConfig:
    """Timeouts (seconds) and the connection pool of the one upstream client."""

    connect_timeout: float = 5.0
    #: Longest wait for the provider between bytes, the first response byte included.
    read_timeout: float = 30.0
    #: Longest the provider may take to accept the next piece of a request body.
    write_timeout: float = 30.0
    #: Longest wait for a free pooled connection (on top of `connect_timeout`), rather than queue without end.
    pool_timeout: float = 5.0
    max_connections: int = 200
    #: Connections to one provider (host and port) at most: one slow provider cannot take the whole pool.
    max_connections_per_provider: int = 20
    keepalive_expiry: float = 15.0


class _TooLarge(Exception):
    pass


class _WriteStalled(Exception):
    """The provider took no piece of the request body for `write_timeout` seconds."""


class _DeadlinePassed(Exception):
    """The exchange's deadline passed before the provider's response head came."""


def _refused_address(failure: BaseException) -> AddressRefused | None:
    """The guard's refusal behind a failure (aiohttp wraps what its resolver raised in a
    `ClientConnectorDNSError`), or None."""
    if isinstance(failure, aiohttp.ClientConnectorError) and isinstance(failure.os_error, AddressRefused):
        return failure.os_error
    return failure if isinstance(failure, AddressRefused) else None


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
    (_DeadlinePassed, xe.SERVICE_FAILED, "The exchange went over its deadline.", None, True),
    # Waiting for a pooled connection and connecting both count (aiohttp's "connect" timeout covers both).
    (aiohttp.ConnectionTimeoutError, xe.NETWORK_ERROR, "Connecting to the provider timed out.", 504, False),
    (aiohttp.SocketTimeoutError, xe.SERVICE_FAILED, "The provider did not answer in time.", None, True),
    (_WriteStalled, xe.SERVICE_FAILED, "The provider stopped reading the request.", None, True),
    (aiohttp.ClientConnectorError, xe.NETWORK_ERROR, "The provider cannot be reached.", None, False),
    (aiohttp.NonHttpUrlClientError, xe.NETWORK_ERROR, "The provider cannot be reached.", None, False),
    (aiohttp.InvalidURL, xe.NETWORK_ERROR, "The provider's address is not valid.", None, False),
    (ValueError, xe.NETWORK_ERROR, "The provider's address is not valid.", None, False),
    (aiohttp.ClientError, xe.NETWORK_ERROR, "The provider's connection failed.", None, True),
)


class Forwarder:
    """Forwards requests to providers over ONE aiohttp session with its connection pool (create once per app,
    `aclose` at shutdown). The session is opened on first use, on the event loop that serves requests."""

    def __init__(self, config: ForwarderConfig | None, guard: OutboundGuard) -> None:
        self.config = config or ForwarderConfig()
        #: The platform's outbound-address guard: every connection goes to an address it let through.
        self.guard = guard
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            c = self.config
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=c.max_connections,
                    limit_per_host=c.max_connections_per_provider,
                    keepalive_timeout=c.keepalive_expiry,
                    resolver=GuardedResolver(self.guard),
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=c.pool_timeout + c.connect_timeout,
                    sock_connect=c.connect_timeout,
                    sock_read=c.read_timeout,
                ),
                # One session serves every caller: a cookie one provider sets must never go out again.
                cookie_jar=aiohttp.DummyCookieJar(),
                # The body is relayed as the provider sent it, with its Content-Encoding.
                auto_decompress=False,
                trust_env=False,  # no proxy or .netrc from the environment: providers are reached directly
                # The provider sees the caller's Accept, Accept-Encoding and Content-Type (or none), not
                # the client library's defaults.
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

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
        deadline: float | None = None,
    ) -> ForwardedResponse:
        """Send `request` to `upstream_url` (the provider's URL with path and query, built by the gateway)
        with `extra_headers` (the verified X-Road-Client, X-Road-UserId, ...; X-Road-Id is always
        `message_id`) and return the response to send back; `deadline` is the event loop's time by which the
        response's last byte must have gone. Never raises for upstream failures or bad bodies: they come back
        as X-Road error responses, with the outcome recorded."""
        tally = Tally(message_id)
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
        url = URL(upstream_url, encoded=True)  # built and quoted by the gateway already
        try:
            # aiohttp asks its resolver (the guard) about names only: an IP literal is checked here.
            self.guard.check_literal(url.raw_host or "")
        except AddressRefused as refused:
            return self._refused(tally, refused, on_complete)

        sent = await self._send(
            request.method,
            url,
            headers=headers,
            body=_request_chunks(request, tally, max_request_bytes) if has_body else None,
            tally=tally,
            block=block,
            max_request_bytes=max_request_bytes,
            on_complete=on_complete,
            deadline=deadline,
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
            deadline=deadline,
        )

    async def _send(
        self,
        method: str,
        url: URL,
        *,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes] | None,
        tally: Tally,
        block: bytes,
        max_request_bytes: int,
        on_complete: OnComplete | None,
        deadline: float | None,
    ) -> aiohttp.ClientResponse | ForwardedResponse:
        """The provider's response head, or our X-Road error when there is none."""
        loop = asyncio.get_running_loop()
        timer = asyncio.timeout_at(deadline)
        try:
            # aiohttp's read timeout starts once the body has gone: until then, each piece of the body must
            # be taken within `write_timeout` (the timer moves on as pieces go), and never past `deadline`.
            async with timer:
                if body is not None:

                    def wrote() -> None:
                        due = loop.time() + self.config.write_timeout
                        timer.reschedule(due if deadline is None else min(due, deadline))

                    tally.wrote = wrote
                    wrote()
                try:
                    return await self._client().request(
                        method,
                        url,
                        headers=CIMultiDict(headers),
                        data=body,
                        allow_redirects=False,  # PR-REST §4.4
                    )
                except TimeoutError as exc:
                    if timer.expired():
                        raise self._timed_out(deadline, loop) from exc
                    raise
        except (
            _TooLarge,
            ClientDisconnect,
            _WriteStalled,
            _DeadlinePassed,
            aiohttp.ClientError,
            TimeoutError,
            ValueError,
        ) as exc:
            failure = tally.body_error or exc
            if isinstance(failure, TimeoutError) and timer.expired():  # our timer, cancelling the request
                failure = self._timed_out(deadline, loop)
            return self._failed(failure, tally, block, max_request_bytes, on_complete)
        finally:
            tally.wrote = None

    @staticmethod
    def _timed_out(deadline: float | None, loop: asyncio.AbstractEventLoop) -> Exception:
        """Which of the two timers ran out: the exchange's deadline, or the provider's turn to read."""
        return _DeadlinePassed() if deadline is not None and loop.time() >= deadline else _WriteStalled()

    def _failed(
        self,
        failure: BaseException,
        tally: Tally,
        block: bytes,
        max_request_bytes: int,
        on_complete: OnComplete | None,
    ) -> ForwardedResponse:
        """The X-Road error for a failure before the provider's response head."""
        refused = _refused_address(failure)
        if refused is not None and not isinstance(refused, Unresolvable):  # no address: a network error
            return self._refused(tally, refused, on_complete)
        if isinstance(failure, _DeadlinePassed):
            logger.warning(
                "exchange %s cut off at its deadline before the provider answered",
                tally.message_id,
                extra={"message_id": tally.message_id},
            )
        error_type, message, status, reached = next(
            entry[1:] for entry in _FAILURES if isinstance(failure, entry[0])
        )
        tally.reached_provider = reached
        # After a read timeout the request went whole to the provider: bind the error to it too.
        bound = block if isinstance(failure, aiohttp.SocketTimeoutError) else None
        message = message.format(limit=max_request_bytes)
        return self._error(tally, error_type, message, on_complete, status=status, block=bound)

    @classmethod
    def _refused(
        cls, tally: Tally, refused: AddressRefused, on_complete: OnComplete | None
    ) -> ForwardedResponse:
        """The outbound-address guard refused the provider's address: logged with the address and why; the
        caller is told only that it is refused (the provider's addresses are not the caller's business)."""
        logger.warning(
            "exchange %s not forwarded: %s",
            tally.message_id,
            refused.reason,
            extra={
                "message_id": tally.message_id,
                "host": refused.host,
                "address": str(refused.address) if refused.address else None,
            },
        )
        message = "The provider's address is not one the gateway may call."
        return cls._error(tally, xe.ADDRESS_REFUSED, message, on_complete)

    async def _relayed(
        self,
        upstream: aiohttp.ClientResponse,
        tally: Tally,
        *,
        block: bytes,
        extra: Mapping[str, str],
        max_response_bytes: int | None,
        on_complete: OnComplete | None,
        deadline: float | None,
    ) -> ForwardedResponse:
        tally.reached_provider = True
        tally.request_hash = _request_hash(block, tally)
        response_length = upstream.headers.get("content-length", "")
        too_long = response_length.isdigit() and int(response_length) > (max_response_bytes or 0)
        if max_response_bytes is not None and too_long:
            upstream.close()
            return self._error(
                tally,
                xe.INVALID_RESPONSE,
                f"The provider's response is over the limit of {max_response_bytes} bytes.",
                on_complete,
            )
        headers = response_headers(upstream.raw_headers)
        headers += [
            (b"x-road-id", tally.message_id.encode("latin-1")),
            (b"x-road-request-hash", tally.request_hash.encode("ascii")),
        ]
        headers += [(name.encode(), extra[name].encode("latin-1")) for name in ECHOED if name in extra]
        return ForwardedResponse(
            upstream.status,
            headers,
            tally,
            upstream=upstream,
            max_response_bytes=max_response_bytes,
            on_complete=on_complete,
            deadline=deadline,
        )

    @staticmethod
    def _error(
        tally: Tally,
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


def _request_hash(block: bytes, tally: Tally) -> str:
    return request_hash(block, tally.request_sha512.digest() if tally.request_size else None)


async def _request_chunks(request: Request, tally: Tally, limit: int) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if not chunk:  # an empty chunk would end a chunked body early
                continue
            tally.request_size += len(chunk)
            if tally.request_size > limit:
                tally.body_error = _TooLarge()
                raise tally.body_error
            tally.request_sha256.update(chunk)
            tally.request_sha512.update(chunk)
            yield chunk
            if tally.wrote is not None:
                tally.wrote()
    except ClientDisconnect as exc:
        tally.body_error = exc  # aiohttp reports it as a failed send, with this as the cause
        raise
