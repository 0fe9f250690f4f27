"""The ASGI app factory. `create_app(settings)` wires settings, database, middleware, error handlers,
pages and every building block that has arrived; `uvicorn --factory govhub.app:create_app` serves it."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from govhub import __version__
from govhub.blocks import BUILDING_BLOCKS
from govhub.config import ConfigurationError, Environment, Settings
from govhub.db import Database, migration_heads, migration_status
from govhub.devtools.routes import router as devtools_router
from govhub.health.routes import router as health_router
from govhub.home.routes import router as home_router
from govhub.identity.oidc import BackgroundDelivery, install_oauth_error_handler
from govhub.kit.body_limit import BodySizeLimitMiddleware
from govhub.kit.dev_mailbox import DevMailbox
from govhub.kit.logging import AccessLogMiddleware
from govhub.kit.metrics import HttpMetrics, MetricsMiddleware
from govhub.kit.outbound import OutboundGuard
from govhub.kit.problems import install_problem_handlers
from govhub.kit.request_context import RequestIdMiddleware
from govhub.kit.routing import ApiRoute
from govhub.kit.security_headers import SecurityHeadersMiddleware, origin_of
from govhub.kit.templating import Pages

logger = logging.getLogger("govhub.app")

PACKAGE_ASSETS = Path(__file__).resolve().parent / "static"

API_DESCRIPTION = """\
Government as a platform. Our own APIs answer errors as RFC 9457 `application/problem+json`; APIs that are
compatible with someone else's (GOV.UK Notify and Pay, GovStack) answer as those do.
"""


def _start_dev_mailbox(settings: Settings) -> DevMailbox | None:
    """Outside production, the SMTP server that keeps the mail this app sends (`/dev/mail`). One app node
    runs it; another finding its port taken sends there too."""
    if not settings.runs_dev_mailbox:
        return None
    mailbox = DevMailbox(settings.smtp_host, settings.smtp_port)
    try:
        mailbox.start()
    except (OSError, RuntimeError) as error:
        logger.warning("development mailbox not started on %s:%s: %s", mailbox.host, mailbox.port, error)
        return None
    logger.info("development mailbox: SMTP on %s:%s, mail shown at /dev/mail", mailbox.host, mailbox.port)
    return mailbox


def _start_logout_delivery(settings: Settings, database: Database) -> BackgroundDelivery | None:
    """Back-channel logouts sent from each app node in the background (never in tests, which run rounds
    themselves); the claim on each delivery keeps nodes from sending one twice."""
    if not settings.oidc_logout_delivery or settings.environment is Environment.TEST:
        return None
    delivery = BackgroundDelivery(database.sessions, settings, settings.oidc_logout_delivery_interval_seconds)
    delivery.start()
    return delivery


def _lifespan(settings: Settings, database: Database) -> object:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        status = await migration_status(database.engine, migration_heads())
        if not status.at_head:
            if settings.is_production:
                # Production applies nothing by itself: an operator runs `govhub db upgrade` first.
                await database.dispose()
                raise ConfigurationError(f"production mode refuses to start: {status.describe()}")
            logger.warning(status.describe())
        mailbox = _start_dev_mailbox(settings)
        app.state.dev_mailbox = mailbox
        logout_delivery = _start_logout_delivery(settings, database)
        # What start-up made (modules, routes, templates) lives as long as the process: kept out of the
        # garbage collector's full collections, which otherwise walk it again and again under load.
        gc.freeze()
        yield
        if logout_delivery is not None:
            await logout_delivery.stop()
        # The gateway's message log writer writes what has queued; then its one upstream connection pool
        # closes. Both are made on the gateway's first call (`exchange.gateway`).
        log_writer = getattr(app.state, "gateway_log_writer", None)
        if log_writer is not None:
            await log_writer.aclose()
        forwarder = getattr(app.state, "gateway_forwarder", None)
        if forwarder is not None:
            await forwarder.aclose()
        if mailbox is not None:
            mailbox.stop()
        await database.dispose()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.check_can_serve()
    database = Database(settings)

    app = FastAPI(
        title=f"{settings.brand_name} API",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, database),  # type: ignore[arg-type]
    )
    app.router.route_class = ApiRoute
    app.state.settings = settings
    app.state.database = database
    app.state.pages = Pages(settings)
    app.state.migration_heads = migration_heads()
    app.state.http_metrics = HttpMetrics()
    # The one check of every address a member gives (a service's base URL), at registration and on connect.
    app.state.outbound_guard = OutboundGuard.from_settings(settings)

    install_problem_handlers(app)
    install_oauth_error_handler(app)
    app.include_router(health_router)
    app.include_router(home_router)
    if not settings.is_production:
        app.include_router(devtools_router)
    for block in BUILDING_BLOCKS:
        routes = block.module("routes")
        if routes is not None:
            app.include_router(routes.router)
    # The exchange gateway's routes (`/r1/...`: the directory's metaservices, then the catch-all) are
    # matched first: every exchange otherwise tried each of the other routes before its own. No other
    # route starts with `/r1/`, so no other request is answered differently.
    gateway_routes = [route for route in app.router.routes if getattr(route, "path", "").startswith("/r1/")]
    app.router.routes[:] = gateway_routes + [
        route for route in app.router.routes if route not in gateway_routes
    ]

    assets = Path(settings.assets_dir) if settings.assets_dir else PACKAGE_ASSETS
    app.mount("/assets", StaticFiles(directory=assets, check_dir=False), name="assets")

    # Added innermost first: the request id wraps everything, so every log line and response carries it.
    # The gateway (`/r1/...`) holds bodies to the same limit itself, and logs what it refuses.
    app.add_middleware(
        BodySizeLimitMiddleware, max_body_bytes=settings.max_request_body_bytes, exempt_prefixes=("/r1/",)
    )
    logo_origin = origin_of(settings.brand_logo_url)
    app.add_middleware(
        SecurityHeadersMiddleware,
        https=settings.public_url.startswith("https://"),
        image_origins=(logo_origin,) if logo_origin else (),
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.http_metrics)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
