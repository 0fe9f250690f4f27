from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    samples: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                samples[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


async def test_metrics_count_requests_per_route_template(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.get("/healthz")
    await client.get("/no/such/page/12345")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = _samples(response.text, "govhub_http_requests_total")
    assert counts[(("method", "GET"), ("route", "/healthz"), ("status", "200"))] == 3
    # Unknown paths share one label, so nobody can inflate the number of series.
    assert counts[(("method", "GET"), ("route", "<unmatched>"), ("status", "404"))] == 1
    assert not any("12345" in value for labels in counts for _, value in labels)


async def test_metrics_have_latency_histograms_per_route(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    buckets = _samples(response.text, "govhub_http_request_duration_seconds_count")
    assert buckets[(("method", "GET"), ("route", "/healthz"))] == 1
