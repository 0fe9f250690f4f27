"""Shared by the gateway tests: a real provider under uvicorn answering the blue badge eligibility API, and a
network of two members (Borsetshire provides `eligibility`, Theirs Ltd's `orders` calls it) with the
calling subsystem's key, so that it can get access tokens."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govhub.config import Settings
from govhub.kit.outbound import OutboundGuard
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from govhub.members.xroad_ids import parse_service_id
from tests.functional.members.services_support import CLIENT, PROVIDER, SERVICE, SERVICE_ID, blue_badge
from tests.functional.members.support import approved_member, subsystem_token
from tests.support.oidc import ClientKeys
from tests.support.outbound import loopback_guard

#: The provider's read timeout in these tests; the slow NHS number answers after four times it.
#: The default of `gateway_max_request_bytes`: request bodies the gateway takes, and never more than the
#: app-wide `max_request_body_bytes` (the app's middleware leaves `/r1/` to the gateway, which refuses
#: larger bodies with an X-Road error it logs). It lived in the gateway, used by nothing but tests.
MAX_REQUEST_BYTES = Settings.model_fields["gateway_max_request_bytes"].default
READ_TIMEOUT = 0.5
SLOW_NHS_NUMBER = "9999999999"
ELIGIBILITY = "GET /eligibility/{nhsNumber}"
ASSESSMENTS = "POST /assessments"
DOWN_SERVICE = PROVIDER + "/down"


@dataclass
class Provider:
    """What the provider saw: one entry per request that reached it."""

    seen: list[dict[str, Any]] = field(default_factory=list)


def provider_app(provider: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/eligibility/{nhs_number}")
    async def eligibility(request: Request, nhs_number: str) -> Response:
        provider.seen.append({"path": request.url.path, "headers": dict(request.headers)})
        if nhs_number == SLOW_NHS_NUMBER:
            await asyncio.sleep(READ_TIMEOUT * 4)
        return JSONResponse(
            {"nhsNumber": nhs_number, "eligible": True, "query": request.url.query},
            headers={"X-Provider": "badges"},
        )

    @app.post("/assessments")
    async def assessments(request: Request) -> Response:
        body = await request.body()
        provider.seen.append({"path": request.url.path, "headers": dict(request.headers)})
        return JSONResponse({"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}, status_code=201)

    return app


@dataclass
class Network:
    client_keys: ClientKeys
    client_id: str  # the OAuth client id of the calling subsystem


async def network(
    session: AsyncSession, provider_url: str, down_url: str, outbound: OutboundGuard | None = None
) -> Network:
    """Both members, the services (one at the live provider, one where nothing listens) and no rights; the
    services' addresses are checked by `outbound` (one that allows loopback by default)."""
    keys = ClientKeys()
    await approved_member(session, ClientKeys())
    await approved_member(
        session,
        keys,
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
        subsystem_code="orders",
    )
    services = ServicesService(session)
    for code, url in (("eligibility", provider_url), ("down", down_url)):
        await services.register(
            COMMAND_LINE_ACTOR,
            subsystem=PROVIDER,
            service_code=code,
            base_url=url,
            openapi=blue_badge(),
            outbound=outbound or loopback_guard(),
        )
    return Network(keys, CLIENT.replace("/", "."))


async def grant(session: AsyncSession, endpoint: str | None = None, service: str = SERVICE) -> None:
    service_id = SERVICE_ID if service == SERVICE else parse_service_id(service)
    await ServicesService(session).grant(COMMAND_LINE_ACTOR, service_id, CLIENT, endpoint)


async def caller_headers(client: httpx.AsyncClient, net: Network, **extra: str) -> dict[str, str]:
    """A fresh X-Road-Id, the calling subsystem's token and its X-Road-Client."""
    token = await subsystem_token(client, net.client_keys, net.client_id)
    assert token.status_code == 200, token.text
    return {
        "Authorization": f"Bearer {token.json()['access_token']}",
        "X-Road-Client": CLIENT,
        "X-Road-Id": str(uuid.uuid4()),
        **extra,
    }


def gateway_path(rest: str, service: str = SERVICE) -> str:
    return f"/r1/{service}{rest}"
