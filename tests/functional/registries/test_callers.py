"""Who calls the registries (issue 14 §1): the review's attack, and each verified source of a caller.

The attack: anonymously, `GET /databases` named each register's owner; sending that owner's id in
`Information-Mediator-Client` then read every birth record, created one and added grants, and a new P0
account proved its identity against the forged record. Now a client header is believed only with the
subsystem's own token, through the gateway (its signed assertion), or from a trusted mediator's network."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwk
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.app import create_app
from govhub.config import Settings
from govhub.exchange.gateway.gateway_assertion import (
    HEADER,
    AssertionSigner,
    assertion_signer,
    sign_gateway_assertion,
)
from govhub.identity.oidc.provider import Provider
from govhub.identity.proving.service import PROVING_CLIENT, IdentityClaim, Outcome, prove_identity
from govhub.members.membership.service import MembershipService
from govhub.members.xroad_ids import parse_member_id
from govhub.registries import demo
from govhub.registries.callers import registries_service_id
from govhub.registries.models import PersonalDataUse, Register, RegistryEntry, RegistryGrant
from govhub.registries.service import RegistriesService
from tests.conftest import make_settings
from tests.functional.exchange.support import person_token
from tests.functional.members.support import TEST_ADMIN, approved_member, subsystem_token
from tests.support.databases import database_on
from tests.support.oidc import ClientKeys, create_account

#: The owner of the births register, as `GET /databases` used to name it, with a subsystem made up.
BIRTH_OWNER = f"{demo.BIRTHS.owner}/registrar"
FORGED = {"Information-Mediator-Client": BIRTH_OWNER}
#: An address in no trusted mediator's network (the registries' tests trust loopback).
OUTSIDE = ("10.1.2.3", 40000)
FORGED_BIRTH = {
    "registration": "B999999",
    "person_id": "GH999999999",
    "given_name": "Mallory",
    "family_name": "Forger",
    "date_of_birth": "1990-01-01",
}
#: A member subsystem with its own key, granted the births register in `member` below.
READER = "GOVHUB-DEV/COM/07654321/checks"
READ_BODY = {"query": {"content": {"registration": "B000001"}}}
READ_PATH = "/data/birth/1/read"


@pytest.fixture(autouse=True)
async def registers(session: AsyncSession, settings: Settings) -> None:
    """The demo registers are loaded once per worker (conftest.py); the proving client's grant is these
    tests' own."""
    await RegistriesService.for_session(session, settings).grant(demo.BIRTHS.name, PROVING_CLIENT)
    await session.commit()


def app_with(connection: AsyncConnection, settings: Settings) -> FastAPI:
    """The real app on the test's transaction (as `tests.conftest.app`), with settings of its own."""
    return create_app(settings, database=database_on(connection, settings))


async def client_at(app: FastAPI, address: tuple[str, int]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def outsider(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose socket address is in no trusted mediator's network."""
    async with await client_at(app, OUTSIDE) as client:
        yield client


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """Entries of the births register, grants on it, and logged reads of personal data."""
    register = await session.scalar(select(Register).where(Register.name == demo.BIRTHS.name))
    assert register is not None
    entries = await session.scalar(
        select(func.count()).select_from(RegistryEntry).where(RegistryEntry.register_id == register.id)
    )
    grants = await session.scalar(
        select(func.count()).select_from(RegistryGrant).where(RegistryGrant.register_id == register.id)
    )
    reads = await session.scalar(select(func.count()).select_from(PersonalDataUse))
    return entries or 0, grants or 0, reads or 0


# --- the review's attack -------------------------------------------------------------------------------


async def test_anonymous_databases_reveal_no_personal_register_nor_its_owner(
    outsider: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for headers in ({}, FORGED, {**FORGED, "X-Forwarded-For": "127.0.0.1"}):
        response = await outsider.get("/databases", headers=headers)
        assert response.status_code == 200
        codes = {database["code"] for database in response.json()["databases"]}
        assert "COUNTRY" in codes
        assert not codes & {"BIRTH", "MCTS"}
        assert demo.BIRTHS.owner not in response.text
        assert demo.SCENARIO_OWNER not in response.text
    # Nor one by one: a personal register's database asks an unverified caller to identify itself
    # (401, naming no owner); one that does not exist answers 404. The ids, as the owners see them (from
    # the trusted mediator's network).
    personal: set[int] = set()
    for owner in (BIRTH_OWNER, f"{demo.SCENARIO_OWNER}/digitalregistries"):
        catalogue = (await client.get("/databases", headers={"Information-Mediator-Client": owner})).json()
        personal |= {
            database["id"] for database in catalogue["databases"] if database["classification"] != "open"
        }
    assert len(personal) >= 2
    for database_id in sorted(personal):
        for headers in ({}, FORGED):
            one = await outsider.get(f"/database/{database_id}", headers=headers)
            assert one.status_code == 401, one.text
            assert one.headers["www-authenticate"].startswith("Bearer")
            assert demo.BIRTHS.owner not in one.text
            assert demo.SCENARIO_OWNER not in one.text
    missing = await outsider.get(f"/database/{max(personal) + 1000}", headers=FORGED)
    assert missing.status_code == 404


async def test_the_owners_id_in_the_header_reads_writes_and_grants_nothing(
    outsider: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await counts(session)
    spoofed = {**FORGED, "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}
    for headers in (FORGED, spoofed):
        listed = await outsider.get("/data/birth/1", headers=headers)
        read = await outsider.post(READ_PATH, json=READ_BODY, headers=headers)
        created = await outsider.post(
            "/data/birth/1/create", json={"write": {"content": FORGED_BIRTH}}, headers=headers
        )
        granted = await outsider.post(
            "/registers/birth/grants", json={"client": "GOVHUB-DEV/COM/666/evil"}, headers=headers
        )
        grants = await outsider.get("/registers/birth/grants", headers=headers)
        for response in (listed, read, created, granted, grants):
            assert response.status_code == 401, response.text
            assert response.headers["content-type"] == _error_media_type(response)
            assert response.headers["www-authenticate"].startswith("Bearer")
            detail = response.json()["detail"]
            assert "trusted mediator" in detail
            assert "access token" in detail
            assert "GH" not in response.text
    assert await counts(session) == before


async def test_a_new_account_cannot_prove_its_identity_against_a_forged_record(
    outsider: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    created = await outsider.post(
        "/data/birth/1/create", json={"write": {"content": FORGED_BIRTH}}, headers=FORGED
    )
    assert created.status_code == 401
    account = await create_account(session)
    claim = IdentityClaim("Mallory", "Forger", date(1990, 1, 1), "B999999")
    result = await prove_identity(session, settings, account.id, claim)
    assert result.outcome is Outcome.NOT_MATCHED
    await session.refresh(account)
    assert account.identity_level == "P0"


# --- a trusted mediator ----------------------------------------------------------------------------------

SCENARIO_CLIENT = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}


@pytest.mark.parametrize(
    ("networks", "address", "believed"),
    [
        (["127.0.0.0/8"], ("127.0.0.1", 50000), True),
        (["10.1.0.0/16"], ("10.1.2.3", 50000), True),
        (["10.1.0.0/16"], ("10.2.0.1", 50000), False),
        ([], ("127.0.0.1", 50000), False),
        (["::1/128"], ("::1", 50000), True),
        (["2001:db8:1::/48"], ("2001:db8:1::7", 50000), True),
        (["2001:db8:1::/48"], ("2001:db8:2::7", 50000), False),
        # A dual-stack socket reports an IPv4 peer as IPv4-mapped IPv6.
        (["10.1.0.0/16"], ("::ffff:10.1.2.3", 50000), True),
        (["127.0.0.0/8"], ("::1", 50000), False),
    ],
)
async def test_the_bare_header_is_believed_only_from_a_trusted_mediators_network(
    connection: AsyncConnection,
    database_url: str,
    networks: list[str],
    address: tuple[str, int],
    believed: bool,
) -> None:
    app = app_with(connection, make_settings(database_url, registries_trusted_mediators=networks))
    async with await client_at(app, address) as client:
        response = await client.get(
            "/data/registryname/111", headers={**SCENARIO_CLIENT, "X-Forwarded-For": "10.1.2.3"}
        )
    assert response.status_code == (200 if believed else 401), response.text


# --- the subsystem's own access token --------------------------------------------------------------------


@pytest.fixture
async def member(session: AsyncSession, settings: Settings) -> ClientKeys:
    """The READER subsystem, approved, and granted the births register by its owner."""
    keys = ClientKeys()
    await approved_member(
        session,
        keys,
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
        subsystem_code="checks",
    )
    await RegistriesService.for_session(session, settings).grant(demo.BIRTHS.name, READER)
    await session.commit()
    return keys


async def reader_token(client: httpx.AsyncClient, keys: ClientKeys) -> dict[str, str]:
    token = await subsystem_token(client, keys, READER.replace("/", "."))
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_a_subsystems_token_names_its_subsystem(
    outsider: httpx.AsyncClient, member: ClientKeys, session: AsyncSession
) -> None:
    token = await reader_token(outsider, member)
    for name in ("Information-Mediator-Client", "X-Road-Client", "X-GovStack-Client"):
        headers = {**token, name: READER, "X-Purpose": "checking a date of birth"}
        read = await outsider.post(READ_PATH, json=READ_BODY, headers=headers)
        assert read.status_code == 200, read.text
        assert read.json()["content"]["registration"] == "B000001"
    uses = (await session.scalars(select(PersonalDataUse).where(PersonalDataUse.reader == READER))).all()
    assert [use.purpose for use in uses] == ["checking a date of birth"] * 3


async def test_a_token_of_another_subsystem_than_the_header_names_is_refused(
    outsider: httpx.AsyncClient, member: ClientKeys, session: AsyncSession
) -> None:
    token = await reader_token(outsider, member)
    before = await counts(session)
    for headers, status in [
        ({**token, **FORGED}, 403),
        ({**token, "X-Road-Client": READER, "Information-Mediator-Client": BIRTH_OWNER}, 401),
        (token, 401),
        ({"Authorization": "Bearer not-a-token", "Information-Mediator-Client": READER}, 401),
    ]:
        response = await outsider.post(
            "/data/birth/1/create", json={"write": {"content": FORGED_BIRTH}}, headers=headers
        )
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == _error_media_type(response)
    assert await counts(session) == before


async def test_a_persons_token_names_no_caller(client: httpx.AsyncClient, session: AsyncSession) -> None:
    _, token = await person_token(client, session)
    headers = {"Authorization": f"Bearer {token}", "Information-Mediator-Client": BIRTH_OWNER}
    before = await counts(session)
    response = await client.post(READ_PATH, json=READ_BODY, headers=headers)
    assert response.status_code == 403
    assert "person's access token" in response.json()["detail"]
    assert "B000001" not in response.text
    assert await counts(session) == before  # nothing read, so no read of personal data logged


async def test_a_suspended_members_token_names_no_caller(
    outsider: httpx.AsyncClient, member: ClientKeys, session: AsyncSession
) -> None:
    token = await reader_token(outsider, member)
    await MembershipService(session).suspend(parse_member_id("GOVHUB-DEV/COM/07654321"), TEST_ADMIN, "Unpaid")
    response = await outsider.post(READ_PATH, json=READ_BODY, headers={**token, "X-Road-Client": READER})
    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]


# --- the gateway's assertion -----------------------------------------------------------------------------


async def signer_of(app: FastAPI, session: AsyncSession) -> AssertionSigner:
    """The platform's own signer, shared with the app (so the app verifies with the key it made)."""
    provider = Provider.for_settings(app.state.settings, app.state.database)
    app.state.oidc_provider = provider
    return await assertion_signer(provider, session)


def vouched(
    signer: AssertionSigner, settings: Settings, *, service: str | None = None, now: float | None = None
) -> dict[str, str]:
    """The headers the gateway sends with a read of READ_PATH by READER."""
    message_id = str(uuid.uuid4())
    assertion = sign_gateway_assertion(
        signer,
        service_id=service or str(registries_service_id(settings)),
        message_id=message_id,
        client_id=READER,
        method="POST",
        url=settings.public_url + READ_PATH,
        now=now,
    )
    return {
        HEADER: assertion,
        "X-Road-Id": message_id,
        "X-Road-Client": READER,
        "X-Road-Purpose": "assessing a pass",
    }


async def test_the_gateways_assertion_names_the_caller(
    app: FastAPI, outsider: httpx.AsyncClient, member: ClientKeys, session: AsyncSession, settings: Settings
) -> None:
    assert member is not None
    signer = await signer_of(app, session)
    headers = vouched(signer, settings)
    read = await outsider.post(READ_PATH, json=READ_BODY, headers=headers)
    assert read.status_code == 200, read.text
    [use] = (await session.scalars(select(PersonalDataUse).where(PersonalDataUse.reader == READER))).all()
    assert use.purpose == "assessing a pass"
    # An assertion is good for one request only.
    again = await outsider.post(READ_PATH, json=READ_BODY, headers=headers)
    assert again.status_code == 401
    assert "used before" in again.json()["detail"]


async def test_an_assertion_for_another_service_or_time_or_signer_is_refused(
    app: FastAPI, outsider: httpx.AsyncClient, member: ClientKeys, session: AsyncSession, settings: Settings
) -> None:
    assert member is not None
    signer = await signer_of(app, session)
    stranger = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    private: Any = stranger.private_key
    forgers = [
        AssertionSigner(signer.issuer, "not-a-platform-key", private),
        AssertionSigner(signer.issuer, signer.kid, private),  # the platform's key id, another key
    ]
    refusals: list[tuple[dict[str, str], str]] = [
        (vouched(signer, settings, service="GOVHUB-DEV/COM/07654321/checks/other"), "another service"),
        (vouched(signer, settings, now=time.time() - 600), "expired"),
        *((vouched(forger, settings), "not signed by the platform") for forger in forgers),
    ]
    changed = vouched(signer, settings)
    refusals.append(({**changed, "X-Road-Client": "GOVHUB-DEV/GOV/platform/registries"}, "X-Road-Client"))
    before = await counts(session)
    for headers, reason in refusals:
        response = await outsider.post(READ_PATH, json=READ_BODY, headers=headers)
        assert response.status_code == 401, (reason, response.text)
        assert reason in response.json()["detail"]
    assert await counts(session) == before
    # The same request, vouched for by the platform, is answered.
    control = await outsider.post(READ_PATH, json=READ_BODY, headers=vouched(signer, settings))
    assert control.status_code == 200, control.text


def _error_media_type(response: httpx.Response) -> str:
    """GovStack's paths answer errors as plain JSON (as GovStack's clients expect); govhub's as RFC 9457."""
    govstack = response.url.path.startswith(("/data/", "/database"))
    return "application/json; charset=utf-8" if govstack else "application/problem+json"
