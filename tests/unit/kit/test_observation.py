"""`ObservationMiddleware` measures a request once and feeds the access log and the metrics the same status:
what the app answered, or 500 when an exception escaped before any response started."""

from __future__ import annotations

import logging

import pytest
from starlette.types import Message, Receive, Scope, Send

from govhub.kit.metrics import UNMATCHED_ROUTE, HttpMetrics
from govhub.kit.observation import ObservationMiddleware


def _scope(path: str = "/somewhere") -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": []}


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(_message: Message) -> None:
    return None


async def _created(_scope: Scope, _receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"made"})


async def _crash(_scope: Scope, _receive: Receive, _send: Send) -> None:
    raise RuntimeError("boom")


def _count(metrics: HttpMetrics, status: str) -> float | None:
    labels = {"route": UNMATCHED_ROUTE, "method": "POST", "status": status}
    return metrics.registry.get_sample_value("govhub_http_requests_total", labels)


def _timed(metrics: HttpMetrics) -> float | None:
    labels = {"route": UNMATCHED_ROUTE, "method": "POST"}
    return metrics.registry.get_sample_value("govhub_http_request_duration_seconds_count", labels)


async def test_the_log_and_the_metrics_get_the_answered_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = HttpMetrics()
    with caplog.at_level(logging.INFO, logger="govhub.access"):
        await ObservationMiddleware(_created, metrics)(_scope(), _receive, _discard)
    [record] = [r for r in caplog.records if r.name == "govhub.access"]
    assert record.getMessage() == "POST /somewhere 201"
    assert (record.method, record.path, record.status) == ("POST", "/somewhere", 201)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert _count(metrics, "201") == 1
    assert _timed(metrics) == 1


async def test_an_escaping_exception_is_500_in_both(caplog: pytest.LogCaptureFixture) -> None:
    metrics = HttpMetrics()
    with caplog.at_level(logging.INFO, logger="govhub.access"), pytest.raises(RuntimeError):
        await ObservationMiddleware(_crash, metrics)(_scope(), _receive, _discard)
    [record] = [r for r in caplog.records if r.name == "govhub.access"]
    assert record.status == 500  # type: ignore[attr-defined]
    assert _count(metrics, "500") == 1
    assert _timed(metrics) == 1


async def test_other_scopes_pass_through_unobserved(caplog: pytest.LogCaptureFixture) -> None:
    metrics = HttpMetrics()
    seen: list[str] = []

    async def lifespan_app(scope: Scope, _receive: Receive, _send: Send) -> None:
        seen.append(scope["type"])

    with caplog.at_level(logging.INFO, logger="govhub.access"):
        await ObservationMiddleware(lifespan_app, metrics)({"type": "lifespan"}, _receive, _discard)
    assert seen == ["lifespan"]
    assert not [r for r in caplog.records if r.name == "govhub.access"]
    assert _timed(metrics) is None
