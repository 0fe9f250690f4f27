"""The X-Road style gateway: `ANY /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICECODE}/{path}` (X-Road
Message Protocol for REST, PR-REST 1.0 §4.1), documented in docs/api.md rather than in the OpenAPI document
(one catch-all route for every provider's API).

The route is thin: `gateway_caller` runs every check (`gateway.service.check`) in a unit of work of its own
that ends before the provider is called, so no database connection is held while a body streams; a
refusal is answered as an X-Road error (`xroad_errors`) and logged at once, in a unit of work of its own;
an allowed request goes through the app's one `Forwarder` and is logged when its response has been sent
(`on_complete`). Every answer carries X-Road-Id; forwarded ones X-Road-Request-Hash too.

Refusals before the caller authenticated (no or a bad access token: 401) are counted in `/metrics` and
logged as a structured line, never written to the message log or its public ledger (anyone could fill
those), and each client address may have `gateway_unauthenticated_per_minute` of them per node, then 429.
An authenticated member has at most `gateway_member_concurrency` exchanges in flight per node (then an
immediate 429, logged), and each exchange a deadline of `gateway_exchange_deadline` from its arrival
(`limits`, `forwarding`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from govhub.config import Settings
from govhub.db import Database
from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.gateway.limits import InFlight, RecentCount, address_key
from govhub.exchange.gateway.relay import Outcome
from govhub.exchange.gateway.service import (
    NOT_FORWARDED,
    UNAUTHORIZED,
    UNKNOWN_CLIENT,
    Checked,
    check,
    exchange_of,
)
from govhub.exchange.message_log.log_writer import LogWriter
from govhub.exchange.metrics import ExchangeMetrics
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.clock import utcnow
from govhub.kit.routing import api_router
from govhub.ledger import keyring_of
from govhub.members import NetworkView

router = api_router(prefix="/r1", tags=["gateway"])
logger = logging.getLogger("govhub.exchange.gateway")
#: Seconds a caller refused with 429 is asked to wait (`Retry-After`).
RETRY_AFTER = 1
UNAUTHENTICATED_RETRY_AFTER = 60


def forwarder_of(request: Request) -> Forwarder:
    """The app's one Forwarder (one connection pool for every provider), made on first use and closed at
    shutdown by the app's lifespan."""
    state = request.app.state
    forwarder: Forwarder | None = getattr(state, "gateway_forwarder", None)
    if forwarder is None:
        settings: Settings = state.settings
        forwarder = state.gateway_forwarder = Forwarder(
            ForwarderConfig(
                connect_timeout=settings.gateway_connect_timeout,
                read_timeout=settings.gateway_read_timeout,
                write_timeout=settings.gateway_write_timeout,
                pool_timeout=settings.gateway_pool_timeout,
                max_connections=settings.gateway_max_connections,
                max_connections_per_provider=settings.gateway_max_connections_per_provider,
            ),
            state.outbound_guard,
        )
    return forwarder


class Limits:
    """The node's fair-share limits of the gateway (`limits`): exchanges in flight per calling member, and
    unauthenticated refusals per client address."""

    def __init__(self, settings: Settings) -> None:
        self.members = InFlight(settings.gateway_member_concurrency)
        self.unauthenticated = RecentCount(settings.gateway_unauthenticated_per_minute)


def limits_of(request: Request) -> Limits:
    state = request.app.state
    limits: Limits | None = getattr(state, "gateway_limits", None)
    if limits is None:
        limits = state.gateway_limits = Limits(state.settings)
    return limits


def network_view_of(request: Request) -> NetworkView:
    """The app node's view of the network (`members.network_view`), made on first use."""
    state = request.app.state
    view: NetworkView | None = getattr(state, "gateway_network_view", None)
    if view is None:
        view = state.gateway_network_view = NetworkView(state.database)
    return view


async def gateway_caller(request: Request) -> Checked:
    """Who calls and whether they may: the caller's access token, its subsystem, the service and the right
    (see `gateway.service.check`). Never raises for a refusal: the route answers and logs it."""
    # The exchange's deadline runs from here, its arrival (`gateway_exchange_deadline`).
    request.state.gateway_arrived = asyncio.get_running_loop().time()
    database: Database = request.app.state.database
    async with database.sessions() as session:
        checked = await check(session, network_view_of(request), request, request.path_params["rest"])
        # The checks write nothing of their own, but a DPoP proof's jti is recorded by them.
        await session.commit()
    return checked


ACCESS_DEPENDENCIES.add(gateway_caller)


async def log_writer_of(request: Request) -> LogWriter:
    """The app node's message log writer (group commit, `exchange.log_writer`), made on first use on the
    event loop that serves requests, and drained by the app's lifespan at shutdown."""
    state = request.app.state
    writer: LogWriter | None = getattr(state, "gateway_log_writer", None)
    if writer is None or writer.loop is not asyncio.get_running_loop():
        keyring = await keyring_of(request, state.settings)
        writer = state.gateway_log_writer = LogWriter(state.database, state.settings, keyring)
    return writer


async def _log(
    request: Request,
    checked: Checked,
    *,
    status: int,
    outcome: str,
    started: float,
    error_code: str | None,
    forwarded: Outcome | None = None,
) -> None:
    """Count the exchange for `/metrics` and record it (the answer has been decided, or sent, already),
    waiting until its record commits."""
    duration_ms = forwarded.duration_ms if forwarded else round((time.perf_counter() - started) * 1000)
    metrics: ExchangeMetrics = request.app.state.http_metrics.exchange
    service = checked.service_id if checked.service_known else UNKNOWN_CLIENT
    metrics.exchanges.labels(service, checked.client_id, outcome, str(status)).inc()
    metrics.duration.labels(service, outcome).observe(duration_ms / 1000)
    if forwarded is not None:
        metrics.bytes.labels(service, "request").inc(forwarded.request_size)
        metrics.bytes.labels(service, "response").inc(forwarded.response_size)
    await (await log_writer_of(request)).write(
        exchange_of(
            checked,
            status=status,
            outcome=outcome,
            started_at=forwarded.started_at if forwarded else utcnow(),
            duration_ms=duration_ms,
            error_code=error_code,
            forwarded=forwarded,
        ),
        id_chosen_by_caller=checked.message_id_chosen,
    )


def _without_private_headers(request: Request) -> Request:
    """The request as the forwarder may pass it on: without the citizen's token and the aliases of
    X-Road-Client (the gateway sends its verified X-Road-Client instead)."""
    raw = [
        (name, value)
        for name, value in request.scope["headers"]
        if name.decode("latin-1").lower() not in NOT_FORWARDED
    ]
    return Request({**request.scope, "headers": raw}, request.receive)


@router.api_route(
    "/{rest:path}",
    methods=["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"],
    include_in_schema=False,
)
async def gateway(request: Request, checked: Annotated[Checked, Depends(gateway_caller)]) -> Response:
    """Forward the request to the provider's service, or answer why not, as an X-Road error."""
    started = time.perf_counter()
    if checked.error is not None:
        if checked.error.type == UNAUTHORIZED:
            return _unauthenticated(request, checked, checked.error, started)
        return await _refusal(request, checked, checked.error, started)
    member = checked.client_id.rsplit("/", 1)[0]
    in_flight = limits_of(request).members
    if not in_flight.acquire(member):
        checked.error = xe.XRoadError(
            xe.TOO_MANY_REQUESTS,
            f"Your member has {in_flight.limit} exchanges in flight through this gateway node already: "
            "wait for one to finish.",
            checked.message_id,
        )
        return await _refusal(request, checked, checked.error, started)

    async def logged(outcome: Outcome) -> None:
        in_flight.release(member)
        await _log(
            request,
            checked,
            status=outcome.status,
            outcome=outcome.log_outcome,
            started=started,
            error_code=outcome.error_type,
            forwarded=outcome,
        )

    query = f"?{request.url.query}" if request.url.query else ""
    settings: Settings = request.app.state.settings
    limit = min(settings.gateway_max_request_bytes, settings.max_request_body_bytes)
    arrived: float = request.state.gateway_arrived  # set by `gateway_caller`, this route's dependency
    try:
        return await forwarder_of(request).forward(
            _without_private_headers(request),
            checked.upstream_url + query,
            message_id=checked.message_id,
            extra_headers=checked.extra_headers,
            max_request_bytes=limit,
            max_response_bytes=settings.gateway_max_response_bytes,
            on_complete=logged,
            deadline=arrived + settings.gateway_exchange_deadline,
        )
    except BaseException:  # the forwarder answers every failure itself; a cancellation still frees the place
        in_flight.release(member)
        raise


async def _refusal(request: Request, checked: Checked, error: xe.XRoadError, started: float) -> Response:
    """Log a refusal, then answer it as an X-Road error."""
    outcome = "refused" if error.refused else "failed"
    await _log(request, checked, status=error.status, outcome=outcome, started=started, error_code=error.type)
    response = xe.render(error)
    if error.type == xe.TOO_MANY_REQUESTS:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _unauthenticated(request: Request, checked: Checked, error: xe.XRoadError, started: float) -> Response:
    """A refusal before the caller authenticated: counted in `/metrics` and logged as a structured line,
    never in the message log or its public ledger (anyone could fill them). Past the per-address limit, 429
    (logged once as the address goes over it, then only counted)."""
    address = address_key(request)
    limit = limits_of(request).unauthenticated
    seen = limit.hit(address)
    if seen > limit.limit:
        error = xe.XRoadError(
            xe.TOO_MANY_REQUESTS,
            "Too many requests without a valid access token from your address: wait a minute.",
            checked.message_id,
        )
    duration = time.perf_counter() - started
    metrics: ExchangeMetrics = request.app.state.http_metrics.exchange
    metrics.exchanges.labels(UNKNOWN_CLIENT, UNKNOWN_CLIENT, "refused", str(error.status)).inc()
    metrics.duration.labels(UNKNOWN_CLIENT, "refused").observe(duration)
    if seen <= limit.limit + 1:
        logger.info(
            "gateway refused %s %s before authentication: %s (%s)",
            checked.method,
            request.url.path[:200],
            error.type,
            error.status,
            extra={
                "event": "gateway.unauthenticated",
                "message_id": checked.message_id,
                "client_address": address,
                "method": checked.method,
                "path": request.url.path[:200],
                "status": error.status,
                "error_type": error.type,
                "over_limit": seen > limit.limit,
            },
        )
    response = xe.render(error)
    if error.type == UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="govhub", DPoP algs="ES256 RS256 PS256"'
    else:
        response.headers["Retry-After"] = str(UNAUTHENTICATED_RETRY_AFTER)
    return response
