"""The blue badge provider's app factory: `create_app(settings)`; `govhub demo-provider blue-badge` serves it.

Behind `GatewayOnly`: in production mode only requests the gateway forwarded reach the routes, and their
X-Road-UserId is the one the gateway signed. The person is always the X-Road-UserId: the API has no person
identifier of its own, so a caller cannot ask about someone else by changing a parameter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from govhub.demo_providers.blue_badge.records import Records
from govhub.demo_providers.blue_badge.settings import BlueBadgeSettings
from govhub.exchange import GatewayOnly, PlatformKeys
from govhub.exchange import xroad_errors as xe

OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"
#: X-Road-UserId longer than this is not one the gateway sends (a person's id for this member is 43
#: base64url characters).
MAX_USER_ID = 64


def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_FILE.read_text())
    return document


def _error(request: Request, status: int, error_type: str, message: str) -> JSONResponse:
    """An X-Road style error body (PR-REST §4.6), as the gateway's own, with the exchange's X-Road-Id."""
    body = {"type": error_type, "message": message, "detail": request.headers.get("x-road-id", "")}
    return JSONResponse(body, status_code=status)


def create_app(
    settings: BlueBadgeSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    records: Records | None = None,
) -> FastAPI:
    """`transport` reaches govhub for its JWKS (tests pass an in-process one); `records` replaces the file."""
    settings = settings or BlueBadgeSettings()
    app = FastAPI(title=f"{settings.trust_name}: blue badge eligibility", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.records = records or Records(settings.records_file)
    document = openapi_document()
    # The published contract, not the one FastAPI would make from the routes.
    app.openapi = lambda: document  # type: ignore[method-assign]
    app.add_middleware(
        GatewayOnly,
        keys=PlatformKeys(settings.jwks_url, transport=transport),
        issuer=settings.platform_url,
        audiences=[settings.service_id],
        enforce=settings.enforce_gateway,
    )

    @app.get("/eligibility")
    async def eligibility(request: Request) -> JSONResponse:
        user_id = request.headers.get("x-road-userid", "").strip()
        if not user_id:
            return _error(
                request, 400, xe.BAD_REQUEST, "This service answers for a person: no X-Road-UserId."
            )
        if len(user_id) > MAX_USER_ID or not user_id.isprintable():
            return _error(request, 400, xe.BAD_REQUEST, "X-Road-UserId is not a person's id.")
        records: Records = request.app.state.records
        record = records.of(user_id)
        if record is None:
            return JSONResponse(
                {"type": "NotFound", "message": "The trust holds no record of this person."}, status_code=404
            )
        return JSONResponse(record.as_json(), headers={"Cache-Control": "no-store"})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    return app
