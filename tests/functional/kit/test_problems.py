"""Bad input gets the right 4xx problem and never a 500, through the real app's shared machinery.

No endpoint of the foundation takes a JSON body yet, so a probe router with one is mounted on the real app;
it is built with `api_router`, exactly as the building blocks build theirs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from govhub.kit.access import PUBLIC
from govhub.kit.errors import Conflict
from govhub.kit.routing import api_router

PROBLEM_JSON = "application/problem+json"


class Address(BaseModel):
    postcode: str = Field(min_length=5)


class Probe(BaseModel):
    name: str
    count: int
    address: Address


probe_router = api_router(prefix="/probe", dependencies=[PUBLIC])


@probe_router.post("/items", status_code=201)
async def create_item(item: Probe) -> Probe:
    return item


@probe_router.post("/conflict")
async def conflicting() -> None:
    raise Conflict("An item with that name already exists.")


@probe_router.get("/crash")
async def crash() -> None:
    raise RuntimeError("a bug that must not leak to the caller")


@probe_router.get("/page")
async def page(size: int) -> dict[str, int]:
    return {"size": size}


@pytest.fixture
def probed_app(app: FastAPI) -> FastAPI:
    app.include_router(probe_router)
    return app


@pytest.fixture
async def probe_client(probed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=probed_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


VALID = {"name": "a", "count": 1, "address": {"postcode": "SW1A 1AA"}}


async def test_valid_json_is_accepted(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/items", json=VALID)
    assert response.status_code == 201
    assert response.json() == VALID


async def test_malformed_json_is_400(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/items", content=b'{"name": "a",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "urn:govhub:problem:malformed-json"
    assert body["status"] == 400
    assert "JSON" in body["detail"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_wrong_content_type_is_415(probe_client: httpx.AsyncClient, content_type: str) -> None:
    response = await probe_client.post(
        "/probe/items", content=b"name=a&count=1", headers={"content-type": content_type}
    )
    assert response.status_code == 415
    body = response.json()
    assert body["type"] == "urn:govhub:problem:unsupported-media-type"
    assert content_type in body["detail"]


async def test_json_suffix_media_types_are_json(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/items",
        content=httpx.Request("POST", "/", json=VALID).content,
        headers={"content-type": "application/merge-patch+json; charset=utf-8"},
    )
    assert response.status_code == 201


async def test_wrong_types_are_422_with_a_pointer_for_each_field(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/items", json={"name": 7, "count": "many", "address": {"postcode": "x"}}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Invalid request"
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {"/name", "/count", "/address/postcode"}
    assert all(error["detail"] for error in body["errors"])


async def test_missing_fields_are_422(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/items", json={})
    assert response.status_code == 422
    assert {error["pointer"] for error in response.json()["errors"]} == {"/name", "/count", "/address"}


async def test_a_body_over_the_declared_limit_is_413_before_it_is_read(
    probe_client: httpx.AsyncClient, probed_app: FastAPI
) -> None:
    limit = probed_app.state.settings.max_request_body_bytes
    response = await probe_client.post(
        "/probe/items", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    body = response.json()
    assert body["title"] == "Content Too Large"
    assert str(limit) in body["detail"]


async def test_a_streamed_body_over_the_limit_is_413(
    probe_client: httpx.AsyncClient, probed_app: FastAPI
) -> None:
    limit = probed_app.state.settings.max_request_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        sent = 0
        while sent <= limit:
            yield b" " * 65536
            sent += 65536

    response = await probe_client.post(
        "/probe/items", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_a_domain_error_keeps_its_status_and_type(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/conflict")
    assert response.status_code == 409
    assert response.json() == {
        "type": "urn:govhub:problem:conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "An item with that name already exists.",
        "instance": "/probe/conflict",
        "request_id": response.headers["x-request-id"],
    }


async def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(
    probe_client: httpx.AsyncClient,
) -> None:
    response = await probe_client.get("/probe/crash")
    assert response.status_code == 500
    body = response.json()
    assert body["title"] == "Internal Server Error"
    assert "bug" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_unknown_routes_are_404_problems(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/thing", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["instance"] == "/no/such/thing"


async def test_unknown_methods_are_405_with_allow(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.delete("/probe/items")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "POST" in response.json()["detail"]


async def test_query_parameter_errors_name_the_parameter(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/page", params={"size": "big"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["parameter"] == "size"
    assert error["in"] == "query"
    assert "integer" in error["detail"]
