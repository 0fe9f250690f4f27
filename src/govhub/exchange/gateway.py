"""The X-Road style gateway: `ANY /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICECODE}/{path}` (X-Road
Message Protocol for REST, PR-REST 1.0 §4.1), documented in docs/api.md rather than in the OpenAPI document
(one catch-all route for every provider's API).

The route is thin: `gateway_caller` runs every check (`gateway_service.check`) in a unit of work of its own
that ends before the provider is called, so no database connection is held while a body streams; a
refusal is answered as an X-Road error (`xroad_errors`) and logged at once, in a unit of work of its own;
an allowed request goes through the app's one `Forwarder` and is logged when its response has been sent
(`on_complete`). Every answer carries X-Road-Id; forwarded ones X-Road-Request-Hash too.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from govhub.config import Settings
from govhub.db import Database
from govhub.exchange import xroad_errors as xe
from govhub.exchange.forwarding import Forwarder, ForwarderConfig, Outcome
from govhub.exchange.gateway_service import (
    NOT_FORWARDED,
    UNAUTHORIZED,
    UNKNOWN_CLIENT,
    Checked,
    check,
    exchange_of,
)
from govhub.exchange.log_writer import LogWriter
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.clock import utcnow
from govhub.kit.metrics import ExchangeMetrics
from govhub.kit.routing import api_router
from govhub.ledger.routes import keyring_of
from govhub.members.network_view import NetworkView

#: The default of `gateway_max_request_bytes`: request bodies the gateway takes, and never more than the
#: app-wide `max_request_body_bytes` (the app's middleware leaves `/r1/` to the gateway, which refuses
#: larger bodies with an X-Road error it logs). A provider's response beyond `gateway_max_response_bytes`
#: is cut off and logged as failed (Server.ServerProxy.InvalidResponse).
MAX_REQUEST_BYTES = Settings.model_fields["gateway_max_request_bytes"].default

router = api_router(prefix="/r1", tags=["gateway"])


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
            )
        )
    return forwarder


def network_view_of(request: Request) -> NetworkView:
    """The app node's view of the network (`members.network_view`), made on first use."""
    state = request.app.state
    view: NetworkView | None = getattr(state, "gateway_network_view", None)
    if view is None:
        view = state.gateway_network_view = NetworkView(state.database)
    return view


async def gateway_caller(request: Request) -> Checked:
    """Who calls and whether they may: the caller's access token, its subsystem, the service and the right
    (see `gateway_service.check`). Never raises for a refusal: the route answers and logs it."""
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
        return await _refusal(request, checked, checked.error, started)

    async def logged(outcome: Outcome) -> None:
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
    return await forwarder_of(request).forward(
        _without_private_headers(request),
        checked.upstream_url + query,
        message_id=checked.message_id,
        extra_headers=checked.extra_headers,
        max_request_bytes=limit,
        max_response_bytes=settings.gateway_max_response_bytes,
        on_complete=logged,
    )


async def _refusal(request: Request, checked: Checked, error: xe.XRoadError, started: float) -> Response:
    """Log a refusal, then answer it as an X-Road error."""
    outcome = "refused" if error.refused else "failed"
    await _log(request, checked, status=error.status, outcome=outcome, started=started, error_code=error.type)
    response = xe.render(error)
    if error.type == UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="govhub", DPoP algs="ES256 RS256 PS256"'
    return response
