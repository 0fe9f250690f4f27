"""The exchange gateway's Prometheus metrics, in the node's one registry (kit's `HttpMetrics`), so `/metrics`
serves them beside the per-route figures. They belong to the exchange: kit imports no block."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from govhub.kit.metrics import LATENCY_BUCKETS


class ExchangeMetrics:
    """Operational monitoring of the exchange gateway (X-Road's op-monitoring, per service): exchanges by
    service, client, outcome and status, and how long they took, client to client. Labels are identifiers
    of registered services and subsystems only (a refused request for no known service counts as
    `unknown`), so their number is bounded by the network's size."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.exchanges = Counter(
            "govhub_exchange_requests",
            "Exchanges through the gateway, by service, client subsystem, outcome and status.",
            ["service", "client", "outcome", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "govhub_exchange_duration_seconds",
            "Time from a gateway request to the end of its response, by service and outcome.",
            ["service", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.bytes = Counter(
            "govhub_exchange_bytes",
            "Request and response body bytes through the gateway, by service and direction.",
            ["service", "direction"],
            registry=registry,
        )
