"""`read` answered before FastAPI resolves its parameters (`api.read_plainly`, through
`kit.routing.answered_first_by`): only the plainest form (the spec's body naming an open record by its key,
no query string, a caller named by headers alone) is answered there, with the same answer the endpoint
gives; every other form, and every refusal, is the endpoint's, which resolves the caller (`identify_caller`)
as before."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from govhub.registries.caller import Caller
from govhub.registries.callers import caller_of
from tests.support.point_reads import ConnectionPointReads

COUNTRY = "/data/country/1/read"
NORWAY = {"code": "NO", "name": "Norway", "official_name": "Kingdom of Norway", "capital": "Oslo"}
PERSON = "80bcb084-fa17-11ed-be56-0242ac120002"


@pytest.fixture
def endpoint_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests whose caller the endpoint's dependency resolved: those the fast path left to it."""
    calls: list[str] = []

    async def counted(request: Any) -> Caller:
        calls.append(request.url.path)
        return await caller_of(request)

    monkeypatch.setattr("govhub.registries.dependencies.caller_of", counted)
    return calls


def _read(key_field: str, value: Any) -> dict[str, Any]:
    return {"query": {"content": {key_field: value}}}


async def test_a_plain_read_of_an_open_record_is_answered_before_the_endpoint(
    app: FastAPI, client: httpx.AsyncClient, endpoint_calls: list[str]
) -> None:
    fast = await client.post(COUNTRY, json=_read("code", "NO"))
    assert endpoint_calls == []
    reader: ConnectionPointReads = app.state.database.point_reads
    assert reader.answered == 1
    # The same read in the bare form the endpoint takes too (GovStack's scenarios send it): its answer.
    through_endpoint = await client.post(COUNTRY, json={"code": "NO"})
    assert endpoint_calls == [COUNTRY]
    for response in (fast, through_endpoint):
        assert response.status_code == 200
        assert response.json() == {"content": NORWAY}
        assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert fast.content == through_endpoint.content
    assert fast.headers.keys() - {"x-request-id"} == through_endpoint.headers.keys() - {"x-request-id"}


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"json": _read("code", "ZZ")}, 404),  # no such record: the endpoint names what is missing
        ({"json": _read("capital", "Oslo")}, 200),  # not the key: the unit of work searches
        ({"json": _read("code", "NO"), "params": {"proof": "true"}}, 200),  # a query string
        ({"json": {"query": {"content": {"code": "NO"}}, "extra": 1}}, 200),  # another shape
        (
            {
                "content": b'{"query": {"content": {"code": "NO"}}',
                "headers": {"content-type": "application/json"},
            },
            400,
        ),
        (
            {"content": b'{"query": {"content": {"code": "NO"}}}', "headers": {"content-type": "text/plain"}},
            415,
        ),
        # Client headers that clash: the endpoint refuses them, whatever the register.
        (
            {
                "json": _read("code", "NO"),
                "headers": {"X-Road-Client": "a/GOV/1/x", "X-GovStack-Client": "b/GOV/2/y"},
            },
            401,
        ),
        ({"json": _read("code", "NO"), "headers": {"Authorization": "Bearer not-a-token"}}, 401),
    ],
)
async def test_every_other_form_goes_to_the_endpoint(
    client: httpx.AsyncClient, endpoint_calls: list[str], options: dict[str, Any], status: int
) -> None:
    response = await client.post(COUNTRY, **options)
    assert response.status_code == status, response.text
    # A body that is not JSON is refused before the endpoint's dependencies run, as it was before.
    refused_before_dependencies = status in (400, 415)
    assert endpoint_calls == ([] if refused_before_dependencies else [COUNTRY])


async def test_a_record_of_a_register_that_is_not_open_is_never_answered_there(
    client: httpx.AsyncClient, endpoint_calls: list[str]
) -> None:
    response = await client.post("/data/registryname/111/read", json=_read("uuid", PERSON))
    assert response.status_code == 401  # anonymous: the endpoint's access check
    assert endpoint_calls == ["/data/registryname/111/read"]
