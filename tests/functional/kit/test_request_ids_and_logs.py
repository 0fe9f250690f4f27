from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from govhub.kit.logging import JsonFormatter, RequestIdFilter


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The access log as the app writes it in production: JSON lines, stamped with the request id."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("govhub.access")
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous_level)


async def test_each_response_carries_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_well_formed_incoming_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "lb-7f3a9c21-0001"})
    assert response.headers["x-request-id"] == "lb-7f3a9c21-0001"


@pytest.mark.parametrize("hostile", ["short", "has spaces in it", "x" * 200, "new\\nline-injection"])
async def test_a_malformed_incoming_request_id_is_replaced(client: httpx.AsyncClient, hostile: str) -> None:
    response = await client.get("/healthz", headers={"x-request-id": hostile})
    assert response.headers["x-request-id"] != hostile
    assert len(response.headers["x-request-id"]) == 32


async def test_the_access_log_is_json_with_the_request_id(
    client: httpx.AsyncClient, json_log: io.StringIO
) -> None:
    response = await client.get("/healthz")
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    entry = next(line for line in lines if line.get("path") == "/healthz")
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert entry["level"] == "info"
    assert entry["duration_ms"] >= 0
