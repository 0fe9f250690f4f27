"""`/members/yours/traffic` and `/members/admin/traffic`: a member administrator sees their members'
exchanges (as client and as provider) with a summary and proof links, and nothing of other members'; a
platform administrator sees every exchange and filters by member; everyone else is sent to sign in or
refused, and bad filters get a clear 400."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.ledger.service import LedgerService
from tests.functional.exchange.support import exchange
from tests.functional.members.services_support import CLIENT, SERVICE, network
from tests.functional.members.support import browser, person, signed_in
from tests.support.exchange import record_exchange

BROWSER = {"accept": "text/html,application/xhtml+xml"}
YOURS = "/members/yours/traffic"
ADMIN = "/members/admin/traffic"
PROVIDER_MEMBER = "GOVHUB-DEV/GOV/E10000099"
CLIENT_MEMBER = "GOVHUB-DEV/COM/07654321"
STRANGERS = ("GOVHUB-DEV/ORG/5555/app", "GOVHUB-DEV/NHS/6666/app/records")


async def _traffic(session: AsyncSession, settings: Settings) -> tuple[ExchangeRecord, ExchangeRecord]:
    """(an exchange from the client member to the provider's service, one between two other members)."""
    ledgers = LedgerService.for_session(session, settings)
    ours = await record_exchange(session, ledgers, exchange(client_id=CLIENT, service_id=SERVICE))
    theirs = await record_exchange(
        session,
        ledgers,
        exchange(client_id=STRANGERS[0], service_id=STRANGERS[1], outcome="failed", status=504),
    )
    return ours, theirs


def _proof(record: ExchangeRecord) -> str:
    return f'href="/exchange/records/{record.message_id}/proof"'


async def test_a_member_administrator_sees_their_traffic_and_nobody_elses(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    ours, theirs = await _traffic(session, settings)
    async with browser(app) as provider, browser(app) as client:
        await signed_in(provider, people.provider_admin)
        page = await provider.get(YOURS, headers=BROWSER)
        assert page.status_code == 200, page.text
        assert page.headers["cache-control"] == "no-store"
        assert _proof(ours) in page.text
        assert _proof(theirs) not in page.text
        assert STRANGERS[1] not in page.text
        assert "Provider" in page.text
        summary = page.text[page.text.index("Summary") : page.text.index('id="exchanges"')]
        assert SERVICE in summary
        assert "As the provider" in summary
        # The proof it links to is there for anyone.
        proof = await provider.get(f"/exchange/records/{ours.message_id}/proof")
        assert proof.status_code == 200
        assert proof.json()["leafIndex"] == ours.ledger_index
        # Filtered to the client side: the provider's member was not the client of anything.
        as_client = await provider.get(YOURS + "?direction=client&window=7d", headers=BROWSER)
        assert as_client.status_code == 200
        assert _proof(ours) not in as_client.text
        assert "No exchanges." in as_client.text
        assert re.search(r'<option value="client" selected', as_client.text)
        # The link from the members page.
        assert f'href="{YOURS}"' in (await provider.get("/members/yours", headers=BROWSER)).text

        await signed_in(client, people.client_admin)
        theirs_page = await client.get(YOURS + f"?member={CLIENT_MEMBER}&outcome=ok", headers=BROWSER)
        assert theirs_page.status_code == 200
        assert _proof(ours) in theirs_page.text
        assert "Client" in theirs_page.text
        # Another member's traffic: as if it did not exist.
        other = await client.get(YOURS + f"?member={PROVIDER_MEMBER}", headers=BROWSER)
        assert other.status_code == 404
        assert f"There is no member {PROVIDER_MEMBER}" in other.text
        assert _proof(ours) not in other.text


async def test_bad_filters_get_a_clear_400(app: FastAPI, session: AsyncSession, settings: Settings) -> None:
    people = await network(session, settings)
    async with browser(app) as provider:
        await signed_in(provider, people.provider_admin)
        for query in ("direction=sideways", "outcome=maybe", "before=abc", "limit=1000", "window=1y"):
            refused = await provider.get(f"{YOURS}?{query}", headers=BROWSER)
            assert refused.status_code == 400, query
            assert f"{query.split('=')[0].capitalize()} is " in refused.text
        malformed = await provider.get(f"{YOURS}?member=not/an%25id", headers=BROWSER)
        assert malformed.status_code == 400
        # A client that does not ask for HTML gets the problem details, naming the parameter.
        problem = await provider.get(f"{YOURS}?outcome=maybe&direction=up")
        assert problem.status_code == 400
        assert problem.headers["content-type"] == "application/problem+json"
        assert [error["parameter"] for error in problem.json()["errors"]] == ["direction", "outcome"]


async def test_the_member_page_refuses_everyone_else(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    await _traffic(session, settings)
    anonymous = await client.get(YOURS, headers=BROWSER)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?return_to=%2Fmembers%2Fyours%2Ftraffic")
    citizen = await person(session, settings, "someone@example.com", with_app=False)
    async with browser(app) as citizens:
        await signed_in(citizens, citizen)
        refused = await citizens.get(YOURS, headers=BROWSER)
        assert refused.status_code == 403
        assert SERVICE not in refused.text
        assert (await citizens.get(f"{YOURS}?member={PROVIDER_MEMBER}", headers=BROWSER)).status_code == 403


async def test_a_platform_administrator_sees_every_exchange_and_filters_by_member(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    ours, theirs = await _traffic(session, settings)
    admin = await person(session, settings, "admin@example.org", platform_admin=True)
    await signed_in(client, admin)

    everything = await client.get(ADMIN, headers=BROWSER)
    assert everything.status_code == 200, everything.text
    assert _proof(ours) in everything.text
    assert _proof(theirs) in everything.text
    assert "Refused by the gateway" in everything.text

    one = await client.get(f"{ADMIN}?member={CLIENT_MEMBER}&direction=client", headers=BROWSER)
    assert one.status_code == 200
    assert _proof(ours) in one.text
    assert _proof(theirs) not in one.text
    assert (await client.get(f"{ADMIN}?member=GOVHUB-DEV%2FCOM", headers=BROWSER)).status_code == 400
    failed = await client.get(f"{ADMIN}?outcome=failed", headers=BROWSER)
    assert _proof(theirs) in failed.text
    assert _proof(ours) not in failed.text
    assert f'href="{ADMIN}"' in (await client.get("/members/admin/members", headers=BROWSER)).text
    assert f'href="{ADMIN}"' in (await client.get("/members", headers=BROWSER)).text

    # A member administrator is no platform administrator; nobody signed in is sent to sign in with two
    # factors.
    async with browser(app) as provider, browser(app) as nobody:
        await signed_in(provider, people.provider_admin)
        assert (await provider.get(ADMIN, headers=BROWSER)).status_code == 403
        anonymous = await nobody.get(ADMIN, headers=BROWSER)
        assert anonymous.status_code == 303
        assert "level=Cl.Cm" in anonymous.headers["location"]


async def test_pages_go_older_by_keyset(app: FastAPI, session: AsyncSession, settings: Settings) -> None:
    people = await network(session, settings)
    ledgers = LedgerService.for_session(session, settings)
    made = [
        await record_exchange(session, ledgers, exchange(client_id=CLIENT, service_id=SERVICE))
        for _ in range(3)
    ]
    async with browser(app) as provider:
        await signed_in(provider, people.provider_admin)
        first = await provider.get(f"{YOURS}?limit=2", headers=BROWSER)
        assert [_proof(r) in first.text for r in made] == [False, True, True]
        older = re.search(r'href="(/members/yours/traffic\?[^"]*before=\d+[^"]*)"', first.text)
        assert older is not None
        second = await provider.get(older.group(1).replace("&amp;", "&"), headers=BROWSER)
        assert second.status_code == 200
        assert [_proof(r) in second.text for r in made] == [True, False, False]
        assert "Older exchanges" not in second.text
        assert "Newest" in second.text
