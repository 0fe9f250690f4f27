"""The response half of forwarding: a provider's response (or an X-Road error of ours) relayed to the
caller as it arrives, and the exchange's facts (`Outcome`) settled once it has been sent.

Split from `forwarding` (the request half and the upstream client), which builds a `ForwardedResponse` for
each exchange; the facts of one exchange are kept in a `Tally` both halves write. See `forwarding` for the
protocol (PR-REST 1.0) and completion: `ForwardedResponse.outcome` resolves when the response has been
sent, and a failure after the status line raises `ResponseAborted` so the server drops the connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiohttp
import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from govhub.exchange.gateway import xroad_errors as xe
from govhub.kit.clock import utcnow

#: The same logger as the request half's: one name for the wire, as before the split.
logger = logging.getLogger("govhub.exchange.forwarding")

LogOutcome = Literal["ok", "refused", "failed"]
#: Recorded in the outcome (never sent) when the caller disconnects before the response has been sent.
CALLER_GONE = "Client.Disconnected"


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


class Tally:
    """Running facts of one exchange (mutable, the gateway's own); `finish` freezes them into an `Outcome`."""

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
        #: Why the request body stopped (too large, the caller left): aiohttp reports it as a failed send.
        self.body_error: BaseException | None = None
        #: Moves the deadline of the body's next write on (set by `Forwarder._send` while a body goes out).
        self.wrote: Callable[[], None] | None = None

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
        tally: Tally,
        *,
        upstream: aiohttp.ClientResponse | None = None,
        body: bytes = b"",
        max_response_bytes: int | None = None,
        on_complete: OnComplete | None = None,
        deadline: float | None = None,
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
        #: The event loop's time by which the whole body must have gone (None: no deadline).
        self._deadline = deadline
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
                    # A connection goes back to the pool only after a body read to its end.
                    if tally.completed:
                        self._upstream.release()
                    else:
                        self._upstream.close()
                outcome = tally.finish()
                if not self.outcome.done():
                    self.outcome.set_result(outcome)
                if self.on_complete is not None:
                    await self.on_complete(outcome)

    async def _relay(self, upstream: aiohttp.ClientResponse, send: Send, watcher: asyncio.Task[None]) -> None:
        tally = self._tally
        try:
            # The deadline covers the caller's reading too: a slow reader holds the provider's connection.
            async with asyncio.timeout_at(self._deadline) as timer:
                async for chunk in upstream.content.iter_any():
                    if watcher.done():
                        tally.fail(CALLER_GONE, "the caller went away while the response was streaming")
                        raise ResponseAborted(tally.error_message)
                    tally.response_size += len(chunk)
                    if self._limit is not None and tally.response_size > self._limit:
                        tally.fail(xe.INVALID_RESPONSE, f"the response is over {self._limit} bytes")
                        raise ResponseAborted(tally.error_message)
                    tally.response_sha256.update(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except TimeoutError as exc:
            if timer.expired():
                tally.fail(
                    xe.SERVICE_FAILED, "the exchange went over its deadline while its response streamed"
                )
                logger.warning(
                    "exchange %s cut off at its deadline after %d response bytes",
                    tally.message_id,
                    tally.response_size,
                    extra={"message_id": tally.message_id, "response_size": tally.response_size},
                )
            else:
                tally.fail(xe.SERVICE_FAILED, f"the provider stopped sending the response: {exc!r}")
            raise ResponseAborted(tally.error_message) from exc
        except aiohttp.ClientError as exc:
            tally.fail(xe.NETWORK_ERROR, f"the provider's response broke off: {exc!r}")
            raise ResponseAborted(tally.error_message) from exc
        await send({"type": "http.response.body", "body": b""})
