"""(Being built.)"""

from __future__ import annotations

from govhub.kit.routing import api_router

router = api_router()
