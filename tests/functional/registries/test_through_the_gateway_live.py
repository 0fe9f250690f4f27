"""A member reads a personal record through the exchange, as X-Road's providers are reached (issue 14 §1):
govhub served by uvicorn on a database of its own, the registries registered as the platform member's
service at the server's own URL, and a member's subsystem with the access right and the register's grant.
No trusted mediator is configured: the gateway's signed assertion is the only thing that names the caller.
The exchange is in the message log, and the read shows in the person's data tracker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.app import create_app
from govhub.config import Settings
from govhub.db import create_async_engine, session_factory
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.exchange.tracker.service import Tracker
from govhub.members.xroad_ids import parse_subsystem_id
from govhub.registries import exchange_service
from govhub.registries.callers import registries_service_id
from govhub.registries.demo import BIRTHS
from govhub.registries.models import PersonalDataUse
from tests.conftest import make_settings
from tests.functional.exchange.tracker_support import prove
from tests.functional.members.support import approved_member
from tests.support.live_server import free_port, serve_in_thread
from tests.support.oidc import ClientKeys, create_account

READER = "GOVHUB-DEV/COM/07654321/checks"
PURPOSE = "Checking a date of birth for a concessionary pass"


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(migrated_url)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def logged(session: AsyncSession, message_id: str) -> ExchangeRecord:
    """The record is written just after the last byte has gone: wait for it."""
    deadline = time.monotonic() + 10
    while (record := await ExchangeRepository(session).by_message_id(message_id)) is None:
        assert time.monotonic() < deadline, "the exchange was not logged"
        await asyncio.sleep(0.05)
        await session.rollback()  # a fresh snapshot on the next read
    return record


async def test_a_member_reads_a_personal_record_through_the_gateway(
    migrated_url: str, database: AsyncSession
) -> None:
    port = free_port()
    settings: Settings = make_settings(
        migrated_url,
        public_url=f"http://127.0.0.1:{port}",
        # The registries are served at the platform's own (here loopback) address.
        gateway_allowed_networks=["127.0.0.0/8"],
    )
    assert settings.registries_trusted_mediators == []
    person = await create_account(database)
    await prove(database, settings, person.id)  # the births register, and the person's record in it
    keys = ClientKeys()
    await approved_member(
        database,
        keys,
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
        subsystem_code="checks",
    )
    await exchange_service.publish(database, settings)
    await exchange_service.allow_reader(database, settings, parse_subsystem_id(READER), BIRTHS.name)
    await database.commit()
    service = registries_service_id(settings)
    read = {"query": {"content": {"registration": "B100001"}}}

    with serve_in_thread(create_app(settings), port) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
            form = {
                "grant_type": "client_credentials",
                **keys.auth(READER.replace("/", "."), aud=f"{url}/token"),
            }
            token = await client.post("/token", data=form)
            assert token.status_code == 200, token.text
            headers = {
                "Authorization": f"Bearer {token.json()['access_token']}",
                "X-Road-Client": READER,
                "X-Road-Id": str(uuid.uuid4()),
                "X-Road-Purpose": PURPOSE,
            }
            through = await client.post(f"/r1/{service}/data/birth/1/read", json=read, headers=headers)
            assert through.status_code == 200, through.text
            assert through.json()["content"]["person_id"] == "GH100000001"

            # Without the gateway or a token, the member's own name proves nothing.
            direct = await client.post(
                "/data/birth/1/read", json=read, headers={"Information-Mediator-Client": READER}
            )
            assert direct.status_code == 401
            assert "trusted mediator" in direct.json()["detail"]
            # The gateway refuses an endpoint the member has no right to, before the registries see it.
            listing = await client.get(
                f"/r1/{service}/data/birth/1", headers={**headers, "X-Road-Id": str(uuid.uuid4())}
            )
            assert listing.status_code == 403

    record = await logged(database, headers["X-Road-Id"])
    assert (record.client_id, record.service_id, record.status, record.outcome) == (
        READER,
        str(service),
        200,
        "ok",
    )
    assert record.purpose == PURPOSE
    uses = (await database.scalars(select(PersonalDataUse).where(PersonalDataUse.reader == READER))).all()
    assert [(use.record_key, use.subject_id, use.purpose) for use in uses] == [
        ("B100001", "GH100000001", PURPOSE)
    ]
    tracker = Tracker(database)
    reads = await tracker.registry_reads(await tracker.subject(person.id))
    assert next((item.read.reader, item.read.purpose) for item in reads if item.read is not None) == (
        READER,
        PURPOSE,
    )
