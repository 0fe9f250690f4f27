"""The data tracker API: a person sees only the exchanges about them, newest first, page by page, each
with a proof anyone can check against the exchange ledger's signed checkpoint."""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.service import LedgerService
from tests.functional.exchange.support import (
    CLIENT,
    SERVICE,
    bearer,
    check_proof,
    exchange,
    machine_token,
    person_token,
)
from tests.support.exchange import record_exchange


async def test_a_person_sees_their_exchanges_newest_first_with_a_proof_each(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    account, token = await person_token(client, session)
    ledgers = LedgerService.for_session(session, settings)
    mine = [
        await record_exchange(session, ledgers, exchange(user_id=account.public_id, purpose=f"reason {n}"))
        for n in range(3)
    ]
    await record_exchange(session, ledgers, exchange(user_id=str(uuid.uuid4())))
    await record_exchange(session, ledgers, exchange(user_id=None))

    response = await client.get("/exchange/tracker", headers=bearer(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["messageId"] for item in body["records"]] == [r.message_id for r in reversed(mine)]
    assert body["next"] is None
    newest = body["records"][0]
    assert newest["who"] == {"member": "GOV/GOV/70000001", "subsystem": CLIENT, "memberName": None}
    assert newest["service"] == SERVICE
    assert newest["purpose"] == "reason 2"
    assert newest["operation"] == "getPerson"
    # The document commits to the person without naming them: no account id reaches a service.
    assert account.public_id not in response.text
    assert "userId" not in json.loads(newest["document"])
    assert json.loads(newest["document"])["user"]

    proof = await client.get(newest["verify"])
    assert proof.status_code == 200, proof.text
    leaf = await check_proof(ledgers, proof.json())
    assert json.loads(leaf)["record"] == hashlib.sha256(newest["document"].encode()).hexdigest()
    assert proof.json()["leafIndex"] == newest["leafIndex"]


async def test_the_tracker_pages_by_keyset(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    account, token = await person_token(client, session)
    ledgers = LedgerService.for_session(session, settings)
    made = [await record_exchange(session, ledgers, exchange(user_id=account.public_id)) for _ in range(5)]

    seen: list[str] = []
    url: str | None = "/exchange/tracker?limit=2"
    pages = 0
    while url is not None:
        body = (await client.get(url, headers=bearer(token))).json()
        assert len(body["records"]) <= 2
        seen += [item["messageId"] for item in body["records"]]
        url = body["next"]
        pages += 1

    assert seen == [record.message_id for record in reversed(made)]
    assert pages == 3


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=two", "before=-1"])
async def test_bad_paging_is_refused(client: httpx.AsyncClient, session: AsyncSession, query: str) -> None:
    _, token = await person_token(client, session)

    response = await client.get(f"/exchange/tracker?{query}", headers=bearer(token))

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_persons_token_sees_none_of_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    account, _ = await person_token(client, session)
    _, other_token = await person_token(client, session)
    await record_exchange(
        session, LedgerService.for_session(session, settings), exchange(user_id=account.public_id)
    )

    response = await client.get("/exchange/tracker", headers=bearer(other_token))

    assert response.status_code == 200
    assert response.json() == {
        "records": [],
        "next": None,
        "registryReads": [],
        "registryReadsNext": None,
        "registryReadsAvailable": False,
    }


async def test_without_a_token_the_tracker_refuses(client: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = await client.get("/exchange/tracker", headers=headers)
        assert response.status_code == 401
        assert "www-authenticate" in response.headers
        assert response.json()["error"] == "invalid_token"


async def test_a_machine_clients_token_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    token = await machine_token(client, session)

    response = await client.get("/exchange/tracker", headers=bearer(token))

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(":tracker-needs-a-person")


@pytest.mark.parametrize("message_id", ["has%20space", "-leading-hyphen", "x" * 101, "%C3%A9t%C3%A9"])
async def test_a_malformed_message_id_is_a_bad_request(client: httpx.AsyncClient, message_id: str) -> None:
    response = await client.get(f"/exchange/records/{message_id}/proof")

    assert response.status_code == 400
    assert response.json()["type"].endswith(":invalid-message-id")


async def test_an_unknown_message_id_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/exchange/records/{uuid.uuid4()}/proof")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_proof_reveals_nothing_of_the_record(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user_id = str(uuid.uuid4())
    record = await record_exchange(
        session,
        LedgerService.for_session(session, settings),
        exchange(user_id=user_id, purpose="Secret reason"),
    )

    response = await client.get(f"/exchange/records/{record.message_id}/proof")

    assert response.status_code == 200
    text = response.text
    assert user_id not in text
    assert "Secret reason" not in text
    assert CLIENT not in text
