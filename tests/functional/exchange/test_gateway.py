"""The gateway `/r1/{serviceId}/{path}` end to end: the app in process, a real provider under uvicorn. Every
answer, refused ones included, is an X-Road style error with X-Road-Id where it is ours, is logged with a
ledger leaf, and a refused request never reaches the provider."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.gateway.service import INVALID_USER_TOKEN, UNAUTHORIZED
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.identity.oidc.subjects import Subjects
from govhub.identity.oidc.tokens import service as tokens
from govhub.kit.clock import utcnow
from govhub.ledger.service import LedgerService
from govhub.members.membership.service import MembershipService
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from govhub.members.xroad_ids import parse_member_id
from tests.functional.exchange.gateway_support import (
    ASSESSMENTS,
    DOWN_SERVICE,
    ELIGIBILITY,
    MAX_REQUEST_BYTES,
    READ_TIMEOUT,
    SLOW_NHS_NUMBER,
    Network,
    Provider,
    caller_headers,
    gateway_path,
    grant,
    network,
    provider_app,
)
from tests.functional.exchange.support import (
    bearer,
    check_proof,
    linked_person_token,
    machine_token,
    person_token,
)
from tests.functional.members.services_support import CLIENT, PROVIDER, SERVICE, SERVICE_ID
from tests.functional.members.support import TEST_ADMIN
from tests.support.live_server import free_port, serve_in_thread
from tests.support.outbound import loopback_guard

NHS = "/eligibility/4857773456"
pytestmark = pytest.mark.usefixtures("gateway_app")


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()
    with serve_in_thread(provider_app(state)) as url:
        yield state, url


@pytest.fixture
async def gateway_app(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with a forwarder whose read timeout is short, so the slow provider times out quickly."""
    app.state.outbound_guard = loopback_guard()
    app.state.gateway_forwarder = Forwarder(
        ForwarderConfig(connect_timeout=1.0, read_timeout=READ_TIMEOUT), app.state.outbound_guard
    )
    yield app
    await app.state.gateway_forwarder.aclose()


@pytest.fixture
async def net(session: AsyncSession, provider: tuple[Provider, str]) -> Network:
    return await network(session, provider[1], f"http://127.0.0.1:{free_port()}")


async def logged(session: AsyncSession, message_id: str) -> ExchangeRecord:
    record = await ExchangeRepository(session).by_message_id(message_id)
    assert record is not None, "the exchange was not logged"
    return record


async def answered(
    client: httpx.AsyncClient,
    provider: Provider,
    method: str,
    url: str,
    headers: dict[str, str],
    status: int,
    error_type: str,
    **options: Any,
) -> str:
    """Send a request the gateway must refuse; check the X-Road error and that the provider saw nothing;
    the X-Road-Id of the answer."""
    seen = len(provider.seen)
    response = await client.request(method, url, headers=headers, **options)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == xe.CONTENT_TYPE
    assert response.headers["x-road-error"] == error_type
    message_id = response.headers["x-road-id"]
    body = response.json()
    assert (body["type"], body["detail"]) == (error_type, message_id)
    assert body["message"]
    assert len(provider.seen) == seen, "a refused request reached the provider"
    return message_id


async def unauthenticated(
    client: httpx.AsyncClient, session: AsyncSession, provider: Provider, url: str, headers: dict[str, str]
) -> None:
    """A request refused before its caller authenticated: 401, and nothing in the message log."""
    message_id = await answered(client, provider, "GET", url, headers, 401, UNAUTHORIZED)
    assert await ExchangeRepository(session).by_message_id(message_id) is None


async def refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: Provider,
    method: str,
    url: str,
    headers: dict[str, str],
    status: int,
    error_type: str,
    **options: Any,
) -> ExchangeRecord:
    """Send a request the gateway must refuse; check the X-Road error, that the provider saw nothing and
    that the refusal is logged."""
    message_id = await answered(client, provider, method, url, headers, status, error_type, **options)
    record = await logged(session, message_id)
    assert (record.status, record.error_code) == (status, error_type)
    assert record.method == method
    return record


async def test_an_allowed_call_passes_through_with_its_x_road_headers_and_is_logged(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[Provider, str],
    net: Network,
) -> None:
    await grant(session, ELIGIBILITY)
    account, user_token, _ = await linked_person_token(client, session, CLIENT)
    headers = await caller_headers(
        client,
        net,
        **{
            "X-Govhub-User-Token": user_token,
            "X-Road-UserId": "FORGED",
            "X-Road-Purpose": "Renewing a blue badge",
            "X-Govhub-Gateway-Assertion": "FORGED",
        },
    )

    response = await client.get(gateway_path(NHS + "?full=yes"), headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"nhsNumber": "4857773456", "eligible": True, "query": "full=yes"}
    assert response.headers["x-road-id"] == headers["X-Road-Id"]
    assert response.headers["x-road-request-hash"]
    assert response.headers["x-provider"] == "badges"
    seen = provider[0].seen[-1]["headers"]
    assert seen["x-road-client"] == CLIENT
    assert seen["x-road-service"] == SERVICE
    # The provider knows the person by their id for its member, never by their account's public id.
    provider_user_id = Subjects(settings).exchange_user_id(
        provider_member=PROVIDER.rsplit("/", 1)[0], account_public_id=account.public_id
    )
    assert seen["x-road-userid"] == provider_user_id
    assert seen["x-road-purpose"] == "Renewing a blue badge"
    assert "authorization" not in seen
    assert "x-govhub-user-token" not in seen
    # The gateway's own signed assertion (`gateway_assertion`), never the caller's.
    assertion = (await client.get("/.well-known/jwks.json")).json()
    claims = jwt.decode(seen["x-govhub-gateway-assertion"], KeySet.import_key_set(assertion)).claims
    assert (claims["aud"], claims["sub"], claims["client"]) == (SERVICE, provider_user_id, CLIENT)

    metrics = (await client.get("/metrics")).text
    counted = f'client="{CLIENT}",outcome="ok",service="{SERVICE}",status="200"'
    assert f"govhub_exchange_requests_total{{{counted}}} 1.0" in metrics
    assert f'govhub_exchange_duration_seconds_count{{outcome="ok",service="{SERVICE}"}} 1.0' in metrics

    record = await logged(session, headers["X-Road-Id"])
    assert (record.client_id, record.service_id, record.method, record.path) == (
        CLIENT,
        SERVICE,
        "GET",
        NHS,
    )
    assert (record.operation, record.user_id, record.purpose) == (
        "getEligibility",
        account.public_id,
        "Renewing a blue badge",
    )
    assert (record.status, record.outcome, record.error_code) == (200, "ok", None)
    assert record.response_size == len(response.content)
    proof = await client.get(f"/exchange/records/{record.message_id}/proof")
    assert proof.status_code == 200, proof.text
    await check_proof(LedgerService.for_session(session, settings), proof.json())
    assert proof.json()["leafIndex"] == record.ledger_index

    tracker = await client.get("/exchange/tracker", headers=bearer(user_token))
    assert [item["messageId"] for item in tracker.json()["records"]] == [record.message_id]
    assert tracker.json()["records"][0]["purpose"] == "Renewing a blue badge"


async def test_a_body_streams_to_the_provider_and_a_bad_x_road_id_is_replaced(
    client: httpx.AsyncClient, session: AsyncSession, net: Network
) -> None:
    await grant(session)  # the whole service
    headers = await caller_headers(
        client, net, **{"X-Road-Id": "not valid/", "Content-Type": "application/json"}
    )
    body = json.dumps({"nhsNumber": "4857773456", "notes": "Zoë"}).encode()

    response = await client.post(gateway_path("/assessments"), content=body, headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(body)
    message_id = response.headers["x-road-id"]
    assert message_id != "not valid/"
    record = await logged(session, message_id)
    assert (record.request_size, record.operation, record.user_id) == (len(body), "createAssessment", None)


async def test_no_token_and_a_bad_token_are_401(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    await grant(session)
    headers = await caller_headers(client, net)
    del headers["Authorization"]
    await unauthenticated(client, session, provider[0], gateway_path(NHS), headers)
    headers["Authorization"] = "Bearer not-a-token"
    await unauthenticated(client, session, provider[0], gateway_path(NHS), headers)


async def test_an_expired_token_is_401(
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: tuple[Provider, str],
    net: Network,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await grant(session)
    headers = await caller_headers(client, net)
    later = utcnow() + timedelta(days=1)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    await unauthenticated(client, session, provider[0], gateway_path(NHS), headers)


async def test_a_token_of_another_client_or_subsystem_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    await grant(session)
    headers = await caller_headers(client, net)
    # A machine client that is no member's subsystem.
    other = {**headers, "Authorization": f"Bearer {await machine_token(client, session)}"}
    await refused(client, session, provider[0], "GET", gateway_path(NHS), other, 403, xe.INVALID_CLIENT)
    # A person's token is not a subsystem's either.
    person = {**headers, "Authorization": f"Bearer {(await person_token(client, session))[1]}"}
    await refused(client, session, provider[0], "GET", gateway_path(NHS), person, 403, xe.INVALID_CLIENT)
    # Our token, but X-Road-Client names the provider's subsystem (in each of its spellings).
    for name in ("X-Road-Client", "X-GovStack-Client", "Information-Mediator-Client"):
        claimed = {k: v for k, v in headers.items() if k != "X-Road-Client"} | {name: PROVIDER}
        record = await refused(
            client, session, provider[0], "GET", gateway_path(NHS), claimed, 403, xe.INVALID_CLIENT
        )
        assert record.client_id == CLIENT
    missing = {k: v for k, v in headers.items() if k != "X-Road-Client"}
    await refused(client, session, provider[0], "GET", gateway_path(NHS), missing, 400, xe.BAD_REQUEST)


async def test_no_right_and_a_right_to_another_endpoint_only_are_403(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    headers = await caller_headers(client, net)
    await refused(client, session, provider[0], "GET", gateway_path(NHS), headers, 403, xe.ACCESS_DENIED)
    await grant(session, ASSESSMENTS)
    record = await refused(
        client, session, provider[0], "GET", gateway_path(NHS), headers, 403, xe.ACCESS_DENIED
    )
    assert record.operation == "getEligibility"
    await grant(session, ELIGIBILITY)
    # Undocumented paths and methods match no endpoint (403); encoded path tricks (httpx keeps them; the
    # app decodes them) are refused as malformed (400, test_gateway_requests.py has them all): nothing
    # outside the documented endpoints reaches the provider.
    for method, rest, decoded, status, error_type in (
        ("GET", "/admin", "/admin", 403, xe.ACCESS_DENIED),
        ("DELETE", NHS, NHS, 403, xe.ACCESS_DENIED),
        ("GET", "/eligibility//x", "/eligibility//x", 403, xe.ACCESS_DENIED),
        ("GET", "/eligibility/%2e%2e/admin", "/eligibility/../admin", 400, xe.BAD_REQUEST),
        ("GET", "/eligibility/4857773456%2F%2E%2E", "/eligibility/4857773456/..", 400, xe.BAD_REQUEST),
        ("GET", "/eligibility/1%3Fx=1", "/eligibility/1?x=1", 400, xe.BAD_REQUEST),
    ):
        record = await refused(
            client, session, provider[0], method, gateway_path(rest), headers, status, error_type
        )
        assert record.path == decoded


async def test_unknown_disabled_and_malformed_services(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    await grant(session)
    headers = await caller_headers(client, net)
    unknown = gateway_path(NHS, PROVIDER + "/nothing")
    await refused(client, session, provider[0], "GET", unknown, headers, 404, xe.UNKNOWN_SERVICE)
    for malformed in (
        "/r1/GOVHUB-DEV/X.X/1/parking/eligibility/x",
        "/r1/GOVHUB-DEV/GOV",
        "/r1/a.b/GOV/1/s/c",
    ):
        record = await refused(client, session, provider[0], "GET", malformed, headers, 400, xe.BAD_REQUEST)
        assert record.service_id == "unknown"
    await ServicesService(session).set_disabled(COMMAND_LINE_ACTOR, SERVICE_ID, True)
    await refused(client, session, provider[0], "GET", gateway_path(NHS), headers, 404, xe.UNKNOWN_SERVICE)
    # The directory's metaservices share the /r1 namespace and are matched before the gateway.
    listed = await client.get(f"/r1/{PROVIDER}/listMethods", headers=headers)
    assert listed.status_code == 200, listed.text
    assert "x-road-error" not in listed.headers
    # Operational monitoring counts refusals too, but never under a service id a caller made up.
    metrics = (await client.get("/metrics")).text
    counted = f'client="{CLIENT}",outcome="refused",service="unknown",status="404"'
    assert f"govhub_exchange_requests_total{{{counted}}} 2.0" in metrics
    assert "/nothing" not in metrics


async def test_suspended_members_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    await grant(session)
    headers = await caller_headers(client, net)
    members = MembershipService(session)
    await members.suspend(parse_member_id(PROVIDER.rsplit("/", 1)[0]), TEST_ADMIN, "Unpaid invoices")
    await refused(client, session, provider[0], "GET", gateway_path(NHS), headers, 403, xe.ACCESS_DENIED)
    await members.reinstate(parse_member_id(PROVIDER.rsplit("/", 1)[0]), TEST_ADMIN, "Paid")
    # The caller's token was issued before its member was suspended: the gateway still refuses it.
    await members.suspend(parse_member_id(CLIENT.rsplit("/", 1)[0]), TEST_ADMIN, "Unpaid invoices")
    await refused(client, session, provider[0], "GET", gateway_path(NHS), headers, 403, xe.ACCESS_DENIED)


async def test_a_citizen_is_taken_only_from_a_valid_person_s_token(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    await grant(session)
    headers = await caller_headers(client, net)
    for token in ("not-a-token", await machine_token(client, session)):
        await refused(
            client,
            session,
            provider[0],
            "GET",
            gateway_path(NHS),
            {**headers, "X-Govhub-User-Token": token},
            403,
            INVALID_USER_TOKEN,
        )
    long_purpose = {**headers, "X-Road-Purpose": "x" * 501}
    await refused(client, session, provider[0], "GET", gateway_path(NHS), long_purpose, 400, xe.BAD_REQUEST)


async def test_provider_down_slow_and_an_oversized_body(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    await grant(session)
    await grant(session, service=DOWN_SERVICE)
    headers = await caller_headers(client, net)

    down = await client.get(gateway_path(NHS, DOWN_SERVICE), headers=headers)
    assert (down.status_code, down.headers["x-road-error"]) == (502, xe.NETWORK_ERROR)
    record = await logged(session, down.headers["x-road-id"])
    assert (record.status, record.outcome, record.error_code) == (502, "failed", xe.NETWORK_ERROR)

    slow = await client.get(
        gateway_path(f"/eligibility/{SLOW_NHS_NUMBER}"), headers={**headers, "X-Road-Id": "slow-1"}
    )
    assert (slow.status_code, slow.headers["x-road-error"], slow.headers["x-road-id"]) == (
        504,
        xe.SERVICE_FAILED,
        "slow-1",
    )
    assert (await logged(session, "slow-1")).outcome == "failed"

    seen = len(provider[0].seen)
    big = await client.post(
        gateway_path("/assessments"),
        content=b"x" * (MAX_REQUEST_BYTES + 1),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (big.status_code, big.headers["x-road-error"]) == (413, xe.MESSAGE_TOO_LARGE)
    assert len(provider[0].seen) == seen
    record = await logged(session, big.headers["x-road-id"])
    assert (record.status, record.outcome) == (413, "refused")


async def test_a_chunked_body_over_the_app_s_own_limit_is_an_x_road_error_too(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[Provider, str],
    net: Network,
) -> None:
    """One streamed body message over the app-wide limit: the gateway refuses it, not the middleware."""
    await grant(session)
    headers = await caller_headers(client, net, **{"Content-Type": "application/json"})

    async def one_chunk() -> AsyncIterator[bytes]:
        yield b"x" * (settings.max_request_body_bytes + 1)

    seen = len(provider[0].seen)
    big = await client.post(gateway_path("/assessments"), content=one_chunk(), headers=headers)
    assert (big.status_code, big.headers["x-road-error"]) == (413, xe.MESSAGE_TOO_LARGE)
    assert big.headers["x-road-id"] == headers["X-Road-Id"]
    assert len(provider[0].seen) == seen
    record = await logged(session, headers["X-Road-Id"])
    assert (record.status, record.outcome) == (413, "refused")


async def test_a_declared_body_over_the_app_s_own_limit_is_an_x_road_error_and_logged(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[Provider, str],
    net: Network,
) -> None:
    """The app's body limit leaves `/r1/` to the gateway, which refuses in X-Road terms and logs it."""
    await grant(session)
    headers = await caller_headers(client, net, **{"Content-Type": "application/json"})
    seen = len(provider[0].seen)
    big = await client.post(
        gateway_path("/assessments"), content=b"x" * (settings.max_request_body_bytes + 1), headers=headers
    )
    assert (big.status_code, big.headers["x-road-error"]) == (413, xe.MESSAGE_TOO_LARGE)
    assert len(provider[0].seen) == seen
    record = await logged(session, headers["X-Road-Id"])
    assert (record.status, record.outcome) == (413, "refused")
