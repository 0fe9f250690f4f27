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
from govhub.config import ConfigurationError, Settings, default_database_url
from govhub.db import Database, migration_heads, migration_status, schema_problem
from govhub.devtools.routes import router as devtools_router
from govhub.exchange import ExchangeMetrics
from govhub.health.routes import router as health_router
from govhub.home.routes import router as home_router
from govhub.identity.oidc import install_oauth_error_handler
from govhub.kit.body_limit import BodySizeLimitMiddleware
from govhub.kit.metrics import HttpMetrics
from govhub.kit.observation import ObservationMiddleware
from govhub.kit.outbound import OutboundGuard
from govhub.kit.problems import install_problem_handlers
from govhub.kit.request_context import RequestIdMiddleware
from govhub.kit.routing import ApiRoute
from govhub.kit.security_headers import SecurityHeadersMiddleware, origin_of
from govhub.kit.templating import Pages
from govhub.node import NodeState

logger = logging.getLogger("govhub.app")

PACKAGE_ROOT = Path(__file__).resolve().parent
PACKAGE_ASSETS = PACKAGE_ROOT / "static"

API_DESCRIPTION = """\
Government as a platform. Our own APIs answer errors as RFC 9457 `application/problem+json`; APIs that are
compatible with someone else's (GOV.UK Notify and Pay, GovStack) answer as those do.
"""


class NodeMetrics(HttpMetrics):
    """This node's `/metrics`: kit's per-route figures and the exchange gateway's, in one registry. The
    gateway counts its exchanges in `app.state.http_metrics.exchange`."""

    def __init__(self) -> None:
        super().__init__()
        self.exchange = ExchangeMetrics(self.registry)


def _pages(settings: Settings) -> Pages:
    """Pages over the shared layout (`govhub/templates`) and every block's `templates/`, named by the block's
    package (`members/...`); the layout lists the building blocks in its navigation."""
    block_templates = {
        directory.parent.name: directory for directory in sorted(PACKAGE_ROOT.glob("*/templates"))
    }
    return Pages(
        settings,
        shared_templates=PACKAGE_ROOT / "templates",
        block_templates=block_templates,
        page_globals={"building_blocks": BUILDING_BLOCKS},
    )


def _lifespan(node: NodeState) -> object:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        status = await migration_status(node.database.engine, node.migration_heads)
        if not status.at_head:
            settings = node.settings
            default = settings.database_url == default_database_url()
            problem = schema_problem(status, settings.database_url, default=default) or status.describe()
            if settings.is_production:
                # Production applies nothing by itself: an operator runs `govhub db upgrade` first.
                await node.database.dispose()
                raise ConfigurationError(f"production mode refuses to start: {problem}")
            # Development serves (`/readyz` says it is not ready), so that tests and tools can start it.
            logger.warning(problem)
        await node.start()
        # What start-up made (modules, routes, templates) lives as long as the process: kept out of the
        # garbage collector's full collections, which otherwise walk it again and again under load.
        gc.freeze()
        yield
        await node.stop()

    return lifespan


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """The app for `settings`. `database` is the test seam: a `Database` bound to a test's connection
    (`Database(settings, bind=...)`) instead of one of the app's own."""
    settings = settings or Settings()
    settings.check_can_serve()
    node = NodeState(
        settings=settings,
        database=database or Database(settings),
        pages=_pages(settings),
        migration_heads=migration_heads(),
        http_metrics=NodeMetrics(),
        outbound_guard=OutboundGuard.from_settings(settings),
    )

    app = FastAPI(
        title=f"{settings.brand_name} API",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(node),  # type: ignore[arg-type]
    )
    app.router.route_class = ApiRoute
    # The node's typed state is the app's state: `request.app.state` (typed: `govhub.node.node_of`).
    app.state = node  # type: ignore[assignment]

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
    # route starts with `/r1/`, so no other request is answered differently. This needs the flat route list
    # of FastAPI below 0.137 (docs/adr/0001-fastapi-pin.md).
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
    app.add_middleware(ObservationMiddleware, metrics=node.http_metrics)
    app.add_middleware(RequestIdMiddleware)
    return app
