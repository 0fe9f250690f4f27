"""`GET /exchange/tracker` with register reads: the person who proved their identity sees who read their
record in that register, when and why, beside their exchanges; each list pages on its own; a person who
proved nothing, and anybody else, sees none of the reads."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.tracker.service import EXCHANGE, REGISTRY_READ, Cursor, Tracker
from govhub.identity.proving.service import PROVING_CLIENT, PURPOSE
from govhub.ledger.service import LedgerService
from govhub.registries.models import PersonalDataUse
from tests.functional.exchange.support import bearer, exchange, person_token
from tests.functional.exchange.tracker_support import HEALTH, TOMASZ, prove, read_birth
from tests.functional.members.support import approved_member
from tests.support.exchange import record_exchange
from tests.support.oidc import ClientKeys, create_account

COUNCIL = "GOVHUB-DEV/GOV/E10000099/parking"


async def test_a_proved_person_sees_reads_of_their_record_beside_their_exchanges(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    account, token = await person_token(client, session)
    await approved_member(session, ClientKeys())
    record = await record_exchange(
        session,
        LedgerService.for_session(session, settings),
        exchange(user_id=account.public_id, client_id=COUNCIL),
    )
    await prove(session, settings, account.id)
    await read_birth(session, settings, "Assessing a blue badge")
    await read_birth(session, settings, "Somebody else's", registration="B100002")

    response = await client.get("/exchange/tracker", headers=bearer(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["messageId"] for item in body["records"]] == [record.message_id]
    assert body["records"][0]["who"] == {
        "member": "GOVHUB-DEV/GOV/E10000099",
        "subsystem": COUNCIL,
        "memberName": "Borsetshire County Council",
    }
    assert body["registryReadsAvailable"] is True
    assert body["registryReadsNext"] is None
    reads = body["registryReads"]
    assert [(read["reader"], read["purpose"]) for read in reads] == [
        (HEALTH, "Assessing a blue badge"),
        (PROVING_CLIENT, PURPOSE),
    ]
    newest = reads[0]
    assert newest["registerName"] == "birth"
    assert newest["registerTitle"] == "Births (synthetic)"
    assert newest["recordKey"] == "B100001"
    assert newest["readerMember"] == "GOVHUB-DEV/NHS/R1H"
    assert newest["readerMemberName"] is None
    assert newest["at"].endswith("Z")
    assert reads[0]["at"] >= reads[1]["at"]


async def test_each_list_pages_on_its_own(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    account, token = await person_token(client, session)
    ledgers = LedgerService.for_session(session, settings)
    made = [await record_exchange(session, ledgers, exchange(user_id=account.public_id)) for _ in range(3)]
    await prove(session, settings, account.id)
    for n in range(2):
        await read_birth(session, settings, f"Reason {n}")

    first = (await client.get("/exchange/tracker?limit=2", headers=bearer(token))).json()
    assert [r["messageId"] for r in first["records"]] == [made[2].message_id, made[1].message_id]
    assert [r["purpose"] for r in first["registryReads"]] == ["Reason 1", "Reason 0"]

    older_records = (await client.get(first["next"], headers=bearer(token))).json()
    assert [r["messageId"] for r in older_records["records"]] == [made[0].message_id]
    assert older_records["next"] is None
    assert older_records["registryReads"] == []
    assert older_records["registryReadsNext"] is None

    older_reads = (await client.get(first["registryReadsNext"], headers=bearer(token))).json()
    assert older_reads["records"] == []
    assert older_reads["next"] is None
    assert [r["purpose"] for r in older_reads["registryReads"]] == [PURPOSE]
    assert older_reads["registryReadsNext"] is None


async def test_another_person_and_an_unproved_person_see_none_of_the_reads(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    zoe, _ = await person_token(client, session)
    await prove(session, settings, zoe.id)
    await read_birth(session, settings, "Assessing a blue badge")
    tomasz, tomasz_token = await person_token(client, session)
    await prove(session, settings, tomasz.id, TOMASZ)
    _, unproved_token = await person_token(client, session)

    his = (await client.get("/exchange/tracker", headers=bearer(tomasz_token))).json()
    unproved = (await client.get("/exchange/tracker", headers=bearer(unproved_token))).json()

    assert [(r["recordKey"], r["purpose"]) for r in his["registryReads"]] == [("B100002", PURPOSE)]
    assert unproved["registryReads"] == []
    assert unproved["registryReadsAvailable"] is False


@pytest.mark.parametrize("cursor", ["", "nonsense", "1-x1", "999999999999999999-r1", "1-r9999999999"])
async def test_a_bad_reads_cursor_is_a_bad_request(
    client: httpx.AsyncClient, session: AsyncSession, cursor: str
) -> None:
    _, token = await person_token(client, session)

    response = await client.get("/exchange/tracker", params={"readsBefore": cursor}, headers=bearer(token))

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(":invalid-tracker-cursor")


async def test_the_merged_view_pages_across_kinds_at_one_instant(
    session: AsyncSession, settings: Settings
) -> None:
    account = await create_account(session)
    await prove(session, settings, account.id)
    [read] = await session.scalars(select(PersonalDataUse).where(PersonalDataUse.purpose == PURPOSE))
    ledgers = LedgerService.for_session(session, settings)
    # Two exchanges that started at the very instant of the read: they sort first, by ledger index.
    made = [
        await record_exchange(session, ledgers, exchange(user_id=account.public_id, started_at=read.read_at))
        for _ in range(2)
    ]
    tracker = Tracker(session)

    for limit in (1, 2, 3):
        seen: list[tuple[str, int]] = []
        cursor: Cursor | None = None
        while True:
            view = await tracker.view(account.id, account.public_id, before=cursor, limit=limit)
            seen += [(item.kind, item.key) for item in view.items]
            if view.next is None:
                break
            cursor = Cursor.parse(view.next.encode())
        assert seen == [
            (EXCHANGE, made[1].ledger_index),
            (EXCHANGE, made[0].ledger_index),
            (REGISTRY_READ, read.id),
        ], limit
