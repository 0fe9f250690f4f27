"""The block's routes: the data tracker's API (`tracker.api`) and its pages for the signed-in person
(`tracker.pages`, `/account/data-use`), and the gateway (`/r1/...`, `gateway.gateway`), which writes the
log they read. This module only assembles them."""

from __future__ import annotations

from govhub.exchange.gateway.gateway import router as gateway_router
from govhub.exchange.tracker.api import router as tracker_api_router
from govhub.exchange.tracker.pages import router as tracker_pages_router
from govhub.kit.routing import api_router

router = api_router()
router.include_router(tracker_api_router)
router.include_router(tracker_pages_router)
router.include_router(gateway_router)
