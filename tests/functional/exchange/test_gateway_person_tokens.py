"""Issue 14, finding 5, at the gateway: a person's token in `X-Govhub-User-Token` names them only when it was
issued, with the `govhub:exchange-on-behalf` scope the person consented to, to the calling subsystem's
service (the relying party linked to it). Another member presenting it, a token of an unlinked service or
one without the scope is refused (403, logged, the provider sees nothing). Providers know the person by an
id pairwise per provider member, never by the account's public id."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.gateway.forwarding import Forwarder, ForwarderConfig
from govhub.exchange.gateway.service import FOREIGN_USER_TOKEN, INVALID_USER_TOKEN
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.identity.oidc.subjects import Subjects
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from govhub.members.xroad_ids import parse_service_id
from tests.functional.exchange.gateway_support import (
    ELIGIBILITY,
    READ_TIMEOUT,
    Network,
    Provider,
    caller_headers,
    gateway_path,
    grant,
    network,
    provider_app,
)
from tests.functional.exchange.support import bearer, linked_person_token, person_token
from tests.functional.members.services_support import CLIENT, PROVIDER, SERVICE, blue_badge
from tests.functional.members.support import approved_member, subsystem_token
from tests.support.live_server import free_port, serve_in_thread
from tests.support.oidc import ClientKeys
from tests.support.outbound import loopback_guard

NHS = "/eligibility/4857773456"
#: A third member, which also may call the service: it must still not act for someone else's users.
SNOOP = "GOVHUB-DEV/COM/01234567/snoop"
#: A second provider member offering the same API.
OTHER_PROVIDER = "GOVHUB-DEV/NHS/RXX99/badges"
OTHER_SERVICE = OTHER_PROVIDER + "/eligibility"
pytestmark = pytest.mark.usefixtures("gateway_app")


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()
    with serve_in_thread(provider_app(state)) as url:
        yield state, url


@pytest.fixture
async def gateway_app(app: FastAPI) -> AsyncIterator[FastAPI]:
    app.state.outbound_guard = loopback_guard()  # the provider listens on this machine
    app.state.gateway_forwarder = Forwarder(
        ForwarderConfig(connect_timeout=1.0, read_timeout=READ_TIMEOUT), app.state.outbound_guard
    )
    yield app
    await app.state.gateway_forwarder.aclose()


@pytest.fixture
async def net(session: AsyncSession, provider: tuple[Provider, str]) -> Network:
    made = await network(session, provider[1], f"http://127.0.0.1:{free_port()}")
    await grant(session, ELIGIBILITY)
    return made


async def _snoop_headers(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    """The third member's own, valid credentials, with a right to the same endpoint."""
    keys = ClientKeys()
    await approved_member(
        session,
        keys,
        organisation_name="Snoop Analytics Ltd",
        registration_number="01234567",
        member_class="COM",
        subsystem_code="snoop",
    )
    await ServicesService(session).grant(COMMAND_LINE_ACTOR, parse_service_id(SERVICE), SNOOP, ELIGIBILITY)
    token = await subsystem_token(client, keys, SNOOP.replace("/", "."))
    assert token.status_code == 200, token.text
    return {**bearer(token.json()["access_token"]), "X-Road-Client": SNOOP, "X-Road-Id": str(uuid.uuid4())}


async def _refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    provider: Provider,
    headers: dict[str, str],
    error_type: str,
) -> None:
    seen = len(provider.seen)
    response = await client.get(gateway_path(NHS), headers=headers)
    assert response.status_code == 403, response.text
    assert response.headers["x-road-error"] == error_type
    assert len(provider.seen) == seen, "a refused request reached the provider"
    record = await ExchangeRepository(session).by_message_id(response.headers["x-road-id"])
    assert record is not None
    assert (record.status, record.outcome, record.error_code) == (403, "refused", error_type)


async def test_another_member_cannot_present_a_persons_token(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    account, user_token, _ = await linked_person_token(client, session, CLIENT)
    # The token works for the service it was issued to.
    ours = await client.get(
        gateway_path(NHS), headers=await caller_headers(client, net, **{"X-Govhub-User-Token": user_token})
    )
    assert ours.status_code == 200, ours.text

    stolen = {**await _snoop_headers(client, session), "X-Govhub-User-Token": user_token}
    await _refused(client, session, provider[0], stolen, FOREIGN_USER_TOKEN)

    # The attempt is in the person's tracker: they can see that another member tried to act for them.
    tracker = await client.get("/exchange/tracker", headers=bearer(user_token))
    attempts = [(r["who"]["subsystem"], r["outcome"]) for r in tracker.json()["records"]]
    assert (SNOOP, "refused") in attempts
    assert account.public_id not in tracker.text


async def test_a_token_of_an_unlinked_service_or_without_the_exchange_scope_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, provider: tuple[Provider, str], net: Network
) -> None:
    # Any service's sign-in token, even one with the exchange scope: not the calling subsystem's service.
    _, unlinked = await person_token(client, session, scope="openid govhub:exchange-on-behalf")
    await _refused(
        client,
        session,
        provider[0],
        await caller_headers(client, net, **{"X-Govhub-User-Token": unlinked}),
        FOREIGN_USER_TOKEN,
    )
    # A token of the linked service without the person's consent to acting for them.
    _, plain, _ = await linked_person_token(client, session, CLIENT, scope="openid govhub:data-use")
    await _refused(
        client,
        session,
        provider[0],
        await caller_headers(client, net, **{"X-Govhub-User-Token": plain}),
        INVALID_USER_TOKEN,
    )
    # A service linked to another subsystem.
    _, elsewhere, _ = await linked_person_token(client, session, SNOOP)
    await _refused(
        client,
        session,
        provider[0],
        await caller_headers(client, net, **{"X-Govhub-User-Token": elsewhere}),
        FOREIGN_USER_TOKEN,
    )


async def test_providers_know_the_person_by_an_id_of_their_own_member(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[Provider, str],
    net: Network,
) -> None:
    await approved_member(
        session,
        ClientKeys(),
        organisation_name="Another NHS Trust",
        registration_number="RXX99",
        member_class="NHS",
        subsystem_code="badges",
    )
    services = ServicesService(session)
    await services.register(
        COMMAND_LINE_ACTOR,
        subsystem=OTHER_PROVIDER,
        service_code="eligibility",
        base_url=provider[1],
        openapi=blue_badge(),
        outbound=loopback_guard(),
    )
    await services.grant(COMMAND_LINE_ACTOR, parse_service_id(OTHER_SERVICE), CLIENT, ELIGIBILITY)
    account, user_token, _ = await linked_person_token(client, session, CLIENT)

    seen: list[str] = []
    for service in (SERVICE, OTHER_SERVICE, SERVICE):
        headers = await caller_headers(client, net, **{"X-Govhub-User-Token": user_token})
        response = await client.get(gateway_path(NHS, service), headers=headers)
        assert response.status_code == 200, response.text
        seen.append(provider[0].seen[-1]["headers"]["x-road-userid"])

    subjects = Subjects(settings)
    assert seen[0] == seen[2]  # stable for one member
    assert seen[0] != seen[1]  # two members cannot join their records on it
    assert seen[0] == subjects.exchange_user_id(
        provider_member=PROVIDER.rsplit("/", 1)[0], account_public_id=account.public_id
    )
    assert account.public_id not in seen
    # Not the `sub` any relying party gets, even one whose sector is named after the provider member.
    assert seen[0] != subjects.subject(
        subject_type="pairwise",
        sector_identifier=PROVIDER.rsplit("/", 1)[0],
        account_public_id=account.public_id,
    )
    # The message log keeps the account, so the person's tracker finds both; what it shows names nobody.
    tracker = await client.get("/exchange/tracker", headers=bearer(user_token))
    assert len(tracker.json()["records"]) == 3
    assert account.public_id not in tracker.text
    assert all(user_id not in tracker.text for user_id in seen)
