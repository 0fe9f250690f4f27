"""Prometheus metrics per route: request counts and latency histograms, served at `/metrics`.

Each app has its own registry, so several apps in one process (tests, benchmarks) never share counters.
Each app node exports its own figures; Prometheus scrapes every node and sums them. Blocks register their
own metrics in the same registry (the exchange's are in `govhub.exchange.metrics`): kit imports no block.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import Scope

#: Label for requests that matched no route, so unknown paths cannot blow up label cardinality.
UNMATCHED_ROUTE = "<unmatched>"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The per-route figures, and the registry `/metrics` serves (blocks add theirs to it)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "govhub_http_requests",
            "HTTP requests served, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "govhub_http_request_duration_seconds",
            "Time from request to the end of the response body, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, scope: Scope, status: int, duration_seconds: float) -> None:
        """Count one HTTP request by its route template, method and status, and time it
        (`kit.observation` measures it)."""
        route = _route_label(scope)
        method = scope["method"]
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(duration_seconds)


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str):
            return path
    return UNMATCHED_ROUTE
