"""Placeholder replaced in this session's next commits."""

from __future__ import annotations

from govhub.kit.access import PUBLIC
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC])
