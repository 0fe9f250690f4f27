"""A dependency that reads headers itself documents them with `reads_headers`: every route that depends on
it lists them once in the OpenAPI document, after the route's own parameters, as FastAPI lists `Header`
parameters, also when the route comes through `include_router`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from govhub.kit.routing import api_router, optional_header, reads_headers

_CLIENT = optional_header("X-Client", "Who calls.")


@reads_headers(_CLIENT)
async def _client(request: Request) -> str | None:
    return request.headers.get("x-client")


async def _nested(client: Annotated[str | None, Depends(_client)]) -> str | None:
    return client


def _parameters(app: FastAPI, path: str) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = app.openapi()["paths"][path]["get"]["parameters"]
    return parameters


def test_the_headers_read_are_documented_once_after_the_routes_own_parameters() -> None:
    inner = api_router()

    @inner.get("/things/{thing_id}")
    async def thing(
        thing_id: str,
        client: Annotated[str | None, Depends(_client)],
        nested: Annotated[str | None, Depends(_nested)],
    ) -> dict[str, str | None]:
        return {"thing": thing_id, "client": client, "nested": nested}

    outer = APIRouter()
    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)
    assert [(p["in"], p["name"]) for p in _parameters(app, "/things/{thing_id}")] == [
        ("path", "thing_id"),
        ("header", "X-Client"),
    ]
    assert _parameters(app, "/things/{thing_id}")[1] == {
        "description": "Who calls.",
        "in": "header",
        "name": "X-Client",
        "required": False,
        "schema": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "Who calls.",
            "title": "X-Client",
        },
    }
