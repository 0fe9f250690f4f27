"""The NHS trust's blue badge provider behind `GatewayOnly`: it answers for the person in X-Road-UserId only,
and in production mode only requests carrying the gateway's assertion, signed by the platform's key (checked
against govhub's JWKS, fetched from the app in process) for this service and this very request."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc.jwk import ECKey

from govhub.config import Settings
from govhub.demo_providers.blue_badge.app import create_app, openapi_document
from govhub.demo_providers.blue_badge.records import Record, Records, write_records
from govhub.demo_providers.blue_badge.settings import BlueBadgeSettings
from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.gateway_assertion import (
    HEADER,
    LIFETIME,
    AssertionSigner,
    assertion_signer,
    sign_gateway_assertion,
)
from govhub.exchange.gateway.provider_guard import KeysUnavailable, PlatformKeys, SeenMessages
from govhub.identity.oidc.jose import b64url_decode
from govhub.identity.oidc.provider import Provider
from govhub.members.services.input import document_of

PROVIDER_URL = "http://badges.test"
SERVICE_ID = "GOVHUB-DEV/NHS/RDEMO1/blue-badge/eligibility"
CLIENT = "GOVHUB-DEV/GOV/E07000999/parking-permits"
HOLDER = "0b6f5d6c-1b7e-4b71-9d0e-5f4a7d1c2b3a"
NOT_ELIGIBLE = "7d1c2b3a-1b7e-4b71-9d0e-0b6f5d6c5f4a"
RECORDS = {
    HOLDER: Record(eligible=True, reason="pip-mobility", badge_holder=True, valid_until="2028-03-31"),
    NOT_ELIGIBLE: Record(eligible=False, reason="none", badge_holder=False),
}


@pytest.fixture
async def signer(app: FastAPI, settings: Settings, session: Any) -> AssertionSigner:
    """The platform's signer, from the key ring the app publishes in its JWKS."""
    return await assertion_signer(Provider.for_settings(settings, app.state.database), session)


def _provider(app: FastAPI, settings: Settings, *, environment: str) -> FastAPI:
    provider_settings = BlueBadgeSettings(
        _env_file=None,
        platform_url=settings.public_url,
        public_url=PROVIDER_URL,
        service_id=SERVICE_ID,
        environment=environment,
    )
    # The platform's JWKS is fetched from the govhub app in this process.
    return create_app(
        provider_settings, transport=httpx.ASGITransport(app=app), records=Records(None, RECORDS)
    )


@pytest.fixture
async def production(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_provider(app, settings, environment="production"))
    async with httpx.AsyncClient(transport=transport, base_url=PROVIDER_URL) as client:
        yield client


@pytest.fixture
async def development(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_provider(app, settings, environment="development"))
    async with httpx.AsyncClient(transport=transport, base_url=PROVIDER_URL) as client:
        yield client


def forwarded(
    signer: AssertionSigner, user_id: str | None = HOLDER, path: str = "/eligibility", **overrides: Any
) -> dict[str, str]:
    """The headers the gateway sends with a request it forwards, its assertion signed over them."""
    message_id = str(uuid.uuid4())
    claims: dict[str, Any] = {
        "service_id": SERVICE_ID,
        "message_id": message_id,
        "client_id": CLIENT,
        "method": "GET",
        "url": f"{PROVIDER_URL}{path}?ignored=yes",
        "user_id": user_id,
        **overrides,
    }
    headers = {
        "X-Road-Id": message_id,
        "X-Road-Client": CLIENT,
        HEADER: sign_gateway_assertion(signer, **claims),
    }
    if user_id is not None:
        headers["X-Road-UserId"] = user_id
    return headers


def assert_refused(response: httpx.Response, status: int = 403, error_type: str = xe.ACCESS_DENIED) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == error_type
    assert "eligible" not in body
    message: str = body["message"]
    return message


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(b64url_decode(token.split(".")[1]))
    return claims


async def test_the_assertion_carries_what_the_provider_checks(
    signer: AssertionSigner, settings: Settings
) -> None:
    token = forwarded(signer)[HEADER]
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": "ES256", "kid": signer.kid, "typ": "gateway-assertion+jwt"}
    claims = claims_of(token)
    assert claims["iss"] == settings.public_url.rstrip("/")
    assert claims["aud"] == SERVICE_ID
    assert claims["exp"] - claims["iat"] == LIFETIME
    assert (claims["client"], claims["sub"], claims["htm"]) == (CLIENT, HOLDER, "GET")
    assert claims["htu"] == f"{PROVIDER_URL}/eligibility"  # no query
    assert "sub" not in claims_of(forwarded(signer, user_id=None)[HEADER])


async def test_a_forwarded_request_is_answered_for_the_person_in_x_road_userid(
    production: httpx.AsyncClient, signer: AssertionSigner
) -> None:
    holder = await production.get("/eligibility", headers=forwarded(signer))
    assert holder.status_code == 200, holder.text
    assert holder.json() == {
        "eligible": True,
        "reason": "pip-mobility",
        "badgeHolder": True,
        "validUntil": "2028-03-31",
    }
    other = await production.get("/eligibility", headers=forwarded(signer, user_id=NOT_ELIGIBLE))
    assert other.json()["eligible"] is False
    # A person named anywhere else in the request changes nothing: only X-Road-UserId counts.
    asked = await production.get(
        "/eligibility", params={"userId": NOT_ELIGIBLE}, headers=forwarded(signer, user_id=HOLDER)
    )
    assert asked.json()["badgeHolder"] is True
    unknown = await production.get("/eligibility", headers=forwarded(signer, user_id=str(uuid.uuid4())))
    assert unknown.status_code == 404
    nobody = await production.get("/eligibility", headers=forwarded(signer, user_id=None))
    assert_refused(nobody, 400, xe.BAD_REQUEST)


async def test_production_refuses_a_request_without_the_assertion(production: httpx.AsyncClient) -> None:
    direct = await production.get("/eligibility", headers={"X-Road-UserId": HOLDER, "X-Road-Id": "direct-1"})
    assert "through the gateway" in assert_refused(direct)
    assert direct.json()["detail"] == "direct-1"
    # The service's description and health check are open.
    assert (await production.get("/openapi.json")).json() == openapi_document()
    assert (await production.get("/healthz")).status_code == 200


async def test_an_expired_assertion_is_refused(
    production: httpx.AsyncClient, signer: AssertionSigner
) -> None:
    old = forwarded(signer, now=time.time() - LIFETIME - 30)
    assert "expired" in assert_refused(await production.get("/eligibility", headers=old))


async def test_an_assertion_for_another_service_is_refused(
    production: httpx.AsyncClient, signer: AssertionSigner
) -> None:
    other = forwarded(signer, service_id="GOVHUB-DEV/NHS/RDEMO1/blue-badge/other")
    assert "(aud)" in assert_refused(await production.get("/eligibility", headers=other))


async def test_an_assertion_not_signed_by_the_platform_is_refused(
    production: httpx.AsyncClient, signer: AssertionSigner
) -> None:
    stranger = ECKey.generate_key("P-256", private=True, auto_kid=True)
    # A key of its own, and the same key under the platform key's kid.
    for kid in (stranger.kid or "stranger", signer.kid):
        forged = AssertionSigner(signer.issuer, kid, stranger.private_key)  # type: ignore[arg-type]
        response = await production.get("/eligibility", headers=forwarded(forged))
        assert "not signed by the platform" in assert_refused(response)
    unsigned = forwarded(signer)
    unsigned[HEADER] = unsigned[HEADER].rsplit(".", 1)[0] + "."
    assert_refused(await production.get("/eligibility", headers=unsigned))
    assert_refused(await production.get("/eligibility", headers={**forwarded(signer), HEADER: "not-a-jwt"}))
    other_issuer = AssertionSigner("https://elsewhere.example", signer.kid, signer.private_key)
    assert "(iss)" in assert_refused(await production.get("/eligibility", headers=forwarded(other_issuer)))


async def test_headers_changed_on_the_way_are_refused(
    production: httpx.AsyncClient, signer: AssertionSigner
) -> None:
    swapped = {**forwarded(signer), "X-Road-UserId": NOT_ELIGIBLE}
    assert "X-Road-UserId" in assert_refused(await production.get("/eligibility", headers=swapped))
    added = {**forwarded(signer, user_id=None), "X-Road-UserId": HOLDER}
    assert "X-Road-UserId" in assert_refused(await production.get("/eligibility", headers=added))
    client = {**forwarded(signer), "X-Road-Client": "GOVHUB-DEV/COM/1/other"}
    assert "X-Road-Client" in assert_refused(await production.get("/eligibility", headers=client))
    message = {**forwarded(signer), "X-Road-Id": "another"}
    assert "X-Road-Id" in assert_refused(await production.get("/eligibility", headers=message))
    path = forwarded(signer, path="/assessments")
    assert "(htu)" in assert_refused(await production.get("/eligibility", headers=path))
    method = forwarded(signer)
    assert "(htm)" in assert_refused(await production.post("/eligibility", headers=method))


async def test_a_second_assertion_is_refused(production: httpx.AsyncClient, signer: AssertionSigner) -> None:
    """A caller's own assertion header passed through beside the gateway's: refused, whichever comes first."""
    headers = forwarded(signer)
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw.append((HEADER.lower().encode(), forwarded(signer)[HEADER].encode()))
    response = await production.get("/eligibility", headers=httpx.Headers(raw))
    assert "more than one assertion" in assert_refused(response)


async def test_an_assertion_is_good_once(production: httpx.AsyncClient, signer: AssertionSigner) -> None:
    headers = forwarded(signer)
    assert (await production.get("/eligibility", headers=headers)).status_code == 200
    assert "used before" in assert_refused(await production.get("/eligibility", headers=headers))


async def test_development_answers_direct_calls_but_still_checks_an_assertion(
    development: httpx.AsyncClient, signer: AssertionSigner
) -> None:
    direct = await development.get("/eligibility", headers={"X-Road-UserId": HOLDER})
    assert direct.json()["badgeHolder"] is True
    assert (await development.get("/eligibility", headers=forwarded(signer))).status_code == 200
    bad = forwarded(signer, service_id="GOVHUB-DEV/NHS/RDEMO1/blue-badge/other")
    assert_refused(await development.get("/eligibility", headers=bad))
    long_id = await development.get("/eligibility", headers={"X-Road-UserId": "x" * 65})
    assert_refused(long_id, 400, xe.BAD_REQUEST)


async def test_the_platform_keys_are_cached_and_fetched_again_for_an_unknown_kid(app: FastAPI) -> None:
    keys = PlatformKeys(
        "http://testserver/.well-known/jwks.json",
        transport=httpx.ASGITransport(app=app),
        min_refresh_seconds=0,
    )
    jwks = (await httpx.AsyncClient(transport=httpx.ASGITransport(app=app)).get(keys.jwks_url)).json()
    kid = jwks["keys"][0]["kid"]
    assert await keys.key(kid) is not None
    assert await keys.key(kid) is not None
    assert keys.fetches == 1
    assert await keys.key("unknown") is None
    assert keys.fetches == 2
    keys.min_refresh_seconds = 60
    assert await keys.key("unknown-again") is None
    assert keys.fetches == 2


async def test_keys_held_still_check_while_the_platform_is_unreachable(app: FastAPI) -> None:
    answers = [httpx.ASGITransport(app=app)]

    class Flaky(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if not answers:
                raise httpx.ConnectError("down")
            return await answers.pop().handle_async_request(request)

    keys = PlatformKeys("http://testserver/.well-known/jwks.json", transport=Flaky(), cache_seconds=0)
    jwks = (await httpx.AsyncClient(transport=httpx.ASGITransport(app=app)).get(keys.jwks_url)).json()
    kid = jwks["keys"][0]["kid"]
    assert await keys.key(kid) is not None
    assert await keys.key(kid) is not None  # stale, the fetch fails: the key held is used
    assert keys.fetches == 2
    with pytest.raises(KeysUnavailable):
        await keys.key("unknown")


async def test_keys_that_cannot_be_fetched_are_a_503(settings: Settings, signer: AssertionSigner) -> None:
    provider_settings = BlueBadgeSettings(
        _env_file=None, platform_url=settings.public_url, service_id=SERVICE_ID, environment="production"
    )
    down = httpx.MockTransport(lambda _request: httpx.Response(500))
    provider = create_app(provider_settings, transport=down, records=Records(None, RECORDS))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=provider), base_url=PROVIDER_URL
    ) as client:
        response = await client.get("/eligibility", headers=forwarded(signer))
    assert_refused(response, 503, xe.INTERNAL_ERROR)


def test_seen_messages_forget_expired_ones_and_stay_bounded() -> None:
    seen = SeenMessages(limit=4)
    assert seen.first_time("a", expires_at=100, now=50)
    assert not seen.first_time("a", expires_at=100, now=60)
    assert seen.first_time("a", expires_at=200, now=150)  # expired long since: a new message
    for name in "bcdefg":
        assert seen.first_time(name, expires_at=1000, now=160)
    assert len(seen._expiry) <= 4


def test_the_records_file_is_read_again_when_it_changes(tmp_path: Any) -> None:
    path = str(tmp_path / "records.json")
    records = Records(path)
    assert records.of(HOLDER) is None
    write_records(path, {HOLDER: RECORDS[HOLDER]})
    assert records.of(HOLDER) == RECORDS[HOLDER]
    write_records(path, {NOT_ELIGIBLE: RECORDS[NOT_ELIGIBLE]})  # merged with what is there
    assert records.of(NOT_ELIGIBLE) == RECORDS[NOT_ELIGIBLE]


def test_the_published_document_is_one_members_can_register() -> None:
    document = document_of(openapi_document())
    assert [(o.method, o.path) for o in document.operations] == [("GET", "/eligibility")]
