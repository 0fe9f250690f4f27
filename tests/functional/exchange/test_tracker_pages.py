"""`/account/data-use` and `/account/data-use/{messageId}`: the signed-in person sees the exchanges about
them and the reads of their proved register record in one list newest first, page by page, each exchange
with a page that explains its inclusion proof; another person sees none of it, nobody signed in is sent to
sign in, and bad input gets a clear 400 or 404 page."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.identity.proving.service import PURPOSE
from govhub.kit.clock import utcnow
from govhub.ledger.service import LedgerService
from tests.functional.exchange.support import check_proof, exchange
from tests.functional.exchange.tracker_support import HEALTH, TOMASZ, prove, read_birth
from tests.functional.members.support import Person, approved_member, browser, person, signed_in
from tests.support.exchange import record_exchange
from tests.support.oidc import ClientKeys

BROWSER = {"accept": "text/html,application/xhtml+xml"}
PAGE = "/account/data-use"
COUNCIL = "GOVHUB-DEV/GOV/E10000099/parking"
COUNCIL_NAME = "Borsetshire County Council"
_VERIFY = re.compile(r'href="/account/data-use/([A-Za-z0-9._:-]+)"')


@dataclass
class Story:
    zoe: Person
    older: ExchangeRecord
    newer: ExchangeRecord


async def _story(session: AsyncSession, settings: Settings) -> Story:
    """Zoë proved her identity (proving read her birth record), a council asked about her an hour before,
    an NHS trust read her birth record since, and the council asked again a minute from now."""
    zoe = await person(session, settings, "zoe@example.org")
    await approved_member(session, ClientKeys())
    ledgers = LedgerService.for_session(session, settings)
    older = await record_exchange(
        session,
        ledgers,
        exchange(
            user_id=zoe.account.public_id,
            client_id=COUNCIL,
            started_at=utcnow() - timedelta(hours=1),
            purpose="Checking a parking permit",
        ),
    )
    await prove(session, settings, zoe.account.id)
    await read_birth(session, settings, "Assessing a blue badge")
    newer = await record_exchange(
        session,
        ledgers,
        exchange(
            user_id=zoe.account.public_id,
            client_id=COUNCIL,
            started_at=utcnow() + timedelta(minutes=1),
            purpose="Renewing a blue badge",
        ),
    )
    return Story(zoe, older, newer)


def _text(page: httpx.Response) -> str:
    return html.unescape(page.text)


async def test_the_person_sees_exchanges_and_register_reads_in_one_list_newest_first(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    story = await _story(session, settings)
    async with browser(app) as zoe:
        await signed_in(zoe, story.zoe)
        page = await zoe.get(PAGE, headers=BROWSER)

    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    text = _text(page)
    order = ["Renewing a blue badge", "Assessing a blue badge", PURPOSE, "Checking a parking permit"]
    positions = [text.index(reason) for reason in order]
    assert positions == sorted(positions), positions
    assert _VERIFY.findall(page.text) == [story.newer.message_id, story.older.message_id]
    assert COUNCIL_NAME in text
    assert COUNCIL in text
    assert HEALTH in text
    assert 'href="/registers/birth"' in page.text
    assert "Births (synthetic)" in text
    assert "Prove your identity" not in text
    assert "Older" not in text


async def test_another_person_sees_none_of_it(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    story = await _story(session, settings)
    tomasz = await person(session, settings, "tomasz@example.org")
    await prove(session, settings, tomasz.account.id, TOMASZ)
    async with browser(app) as other:
        await signed_in(other, tomasz)
        page = await other.get(PAGE, headers=BROWSER)
        record = await other.get(f"{PAGE}/{story.newer.message_id}", headers=BROWSER)

    assert page.status_code == 200, page.text
    text = _text(page)
    # Only his own proving read: none of Zoë's exchanges, and not the trust's read of her record.
    assert PURPOSE in text
    assert _VERIFY.findall(page.text) == []
    for theirs in ("Renewing a blue badge", "Assessing a blue badge", "Checking a parking permit", HEALTH):
        assert theirs not in text
    assert record.status_code == 404
    assert "text/html" in record.headers["content-type"]
    assert "Renewing a blue badge" not in record.text
    assert COUNCIL not in record.text


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}?before=1-e1", f"{PAGE}/some-message-id"])
async def test_nobody_signed_in_is_sent_to_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=BROWSER)

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/sign-in?")
    assert "return_to=%2Faccount%2Fdata-use" in location


async def test_the_list_pages_by_keyset_without_losing_items_at_one_instant(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    zoe = await person(session, settings, "zoe@example.org")
    ledgers = LedgerService.for_session(session, settings)
    instant = utcnow() - timedelta(minutes=5)
    made = [
        await record_exchange(
            session,
            ledgers,
            exchange(user_id=zoe.account.public_id, started_at=instant, purpose=f"Reason {n}"),
        )
        for n in range(22)
    ]
    await prove(session, settings, zoe.account.id)
    await read_birth(session, settings, "Assessing a blue badge")

    seen: list[str] = []
    reads = 0
    url: str | None = PAGE
    pages = 0
    async with browser(app) as browsing:
        await signed_in(browsing, zoe)
        while url is not None:
            page = await browsing.get(url, headers=BROWSER)
            assert page.status_code == 200, page.text
            seen += _VERIFY.findall(page.text)
            reads += page.text.count("Register read")
            assert ("Newest" in page.text) == (pages > 0)
            older = re.search(r'href="(/account/data-use\?before=[^"#]+)#uses"', page.text)
            url = html.unescape(older.group(1)) if older else None
            pages += 1

    assert pages == 2
    # The two reads (proving's and the trust's) are newest, then the exchanges by ledger index downwards.
    assert reads == 2
    assert seen == [record.message_id for record in reversed(made)]


@pytest.mark.parametrize(
    "before", ["", "nonsense", "1-x1", "999999999999999999-e1", "1-e" + "9" * 19, "1-r9999999999"]
)
async def test_a_bad_cursor_is_a_clear_error_page(
    app: FastAPI, session: AsyncSession, settings: Settings, before: str
) -> None:
    zoe = await person(session, settings, "zoe@example.org")
    async with browser(app) as browsing:
        await signed_in(browsing, zoe)
        page = await browsing.get(PAGE, params={"before": before}, headers=BROWSER)

    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert "older" in _text(page)


async def test_an_unknown_or_malformed_message_id_is_a_clear_error_page(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    zoe = await person(session, settings, "zoe@example.org")
    async with browser(app) as browsing:
        await signed_in(browsing, zoe)
        unknown = await browsing.get(f"{PAGE}/no-such-message", headers=BROWSER)
        malformed = await browsing.get(f"{PAGE}/-leading-hyphen", headers=BROWSER)

    assert unknown.status_code == 404
    assert "text/html" in unknown.headers["content-type"]
    assert "no-such-message" in unknown.text
    assert malformed.status_code == 400
    assert "text/html" in malformed.headers["content-type"]


async def test_the_record_page_shows_the_record_and_how_to_verify_it(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    story = await _story(session, settings)
    async with browser(app) as zoe:
        await signed_in(zoe, story.zoe)
        page = await zoe.get(f"{PAGE}/{story.newer.message_id}", headers=BROWSER)
        proof = await zoe.get(f"/exchange/records/{story.newer.message_id}/proof")

    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    text = _text(page)
    assert "Renewing a blue badge" in text
    assert COUNCIL_NAME in text
    document = re.search(r'<pre class="govhub-code" tabindex="0"><code>(\{"client".*?)</code></pre>', text)
    assert document is not None
    assert json.loads(document.group(1))["messageId"] == story.newer.message_id
    digest = hashlib.sha256(document.group(1).encode()).hexdigest()
    assert digest in text
    # What the page shows is what the public proof proves, and that proof checks out.
    body = proof.json()
    leaf = await check_proof(LedgerService.for_session(session, settings), body)
    assert json.loads(leaf)["record"] == digest
    assert f"leaf {body['leafIndex']:,} of the public ledger" in text
    assert body["checkpoint"] in text
    assert all(node in text for node in body["path"])
    assert f'href="/exchange/records/{story.newer.message_id}/proof"' in page.text


async def test_without_a_proved_identity_only_exchanges_show_with_a_way_to_prove(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    zoe = await person(session, settings, "zoe@example.org")
    record = await record_exchange(
        session, LedgerService.for_session(session, settings), exchange(user_id=zoe.account.public_id)
    )
    async with browser(app) as browsing:
        await signed_in(browsing, zoe)
        page = await browsing.get(PAGE, headers=BROWSER)
        account = await browsing.get("/account", headers=BROWSER)

    assert page.status_code == 200, page.text
    assert _VERIFY.findall(page.text) == [record.message_id]
    assert "Register read" not in page.text
    assert 'href="/account/prove-identity?return_to=%2Faccount%2Fdata-use"' in page.text
    assert f'href="{PAGE}"' in account.text


async def test_a_person_with_nothing_logged_is_told_so(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    zoe = await person(session, settings, "zoe@example.org")
    async with browser(app) as browsing:
        await signed_in(browsing, zoe)
        page = await browsing.get(PAGE, headers=BROWSER)

    assert page.status_code == 200
    assert "Nobody has used your data through this network yet." in page.text
