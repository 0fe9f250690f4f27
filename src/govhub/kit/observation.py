"""One ASGI middleware that watches each HTTP request once, its status and how long it took, and feeds both
the access log (`govhub.access`, `kit.logging`) and the per-route metrics (`kit.metrics`). Two middlewares
each wrapped `send` and timed the same request; one measurement serves both now.

Plain ASGI, not Starlette's `BaseHTTPMiddleware` (which breaks context variables, the request id among them).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govhub.kit.logging import log_access
from govhub.kit.metrics import HttpMetrics


class ObservationMiddleware:
    """Status and duration of every HTTP request, for the access log and the metrics. The status is 500
    until the app starts a response (an exception escaped it, or it sent nothing)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture_status)
        finally:
            duration = time.perf_counter() - started
            self.metrics.observe(scope, status, duration)
            log_access(scope, status, duration)
