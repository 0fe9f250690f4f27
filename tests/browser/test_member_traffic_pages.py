"""The traffic pages in real Chromium against a live server: a member administrator signs in, sees their
member's exchanges with the summary and a proof link, filters to one side and back, pages to older
exchanges; a platform administrator signs in with password and code, sees every exchange and filters by
member. Every page is checked with axe against WCAG 2.2 AA; the same runs without JavaScript."""

from __future__ import annotations

import re
import secrets
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.accounts import totp
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.ledger.service import LedgerService
from govhub.members.membership.service import grant_platform_admin
from govhub.members.onboarding.service import ApplicationsService, Decider, NewApplication
from tests.browser.accessibility import PageRun
from tests.browser.conftest import OpenPage
from tests.functional.exchange.support import exchange
from tests.support.exchange import record_exchange
from tests.support.oidc import ClientKeys

PASSWORD = "correct horse battery staple"


async def _member(session: AsyncSession, settings: Settings, code: str, applicant: int | None) -> str:
    applications = ApplicationsService(session, settings.members_instance)
    application = await applications.submit(
        NewApplication(
            organisation_name=f"Organisation {code}",
            registration_number=code,
            member_class="COM",
            contact_name="Alex Clerk",
            contact_email="alex@example.com",
            subsystem_code="app",
            jwks=ClientKeys().jwks,
            applicant_account_id=applicant,
        )
    )
    await applications.approve(application.public_id, Decider("browser test"))
    return f"{settings.members_instance}/COM/{code}"


async def _network(engine: AsyncEngine, settings: Settings) -> tuple[str, str, str, str, list[str]]:
    """(the provider's administrator's email, a platform administrator's email and TOTP secret, the
    provider member's id, the message ids of its three exchanges oldest first), committed."""
    tag = uuid.uuid4().hex[:8]
    director, admin, secret = f"director-{tag}@example.org", f"admin-{tag}@example.org", totp.new_secret()
    provider, client = f"P{secrets.randbelow(10**8):08d}", f"C{secrets.randbelow(10**8):08d}"
    async with session_factory(engine)() as session, session.begin():
        accounts = IdentityService.for_session(session, settings)
        account = await accounts.create_account(NewAccount(director, PASSWORD, email_verified=True))
        await accounts.create_account(NewAccount(admin, PASSWORD, secret, email_verified=True))
        await grant_platform_admin(session, admin, Decider("browser test"))
        provider_id = await _member(session, settings, provider, account.id)
        client_id = await _member(session, settings, client, None)
        ledgers = LedgerService.for_session(session, settings)
        made = [
            await record_exchange(
                session,
                ledgers,
                exchange(client_id=f"{client_id}/app", service_id=f"{provider_id}/app/badges", **values),
            )
            for values in ({}, {"outcome": "refused", "status": 403, "error_code": "Client.Forbidden"}, {})
        ]
    return director, admin, secret, provider_id, [record.message_id for record in made]


def _proof_link(page: Page, message_id: str) -> Locator:
    return page.get_by_role("link", name=f"Proof of exchange {message_id}")


async def _member_administrator(
    page: Page, run: PageRun, director: str, member: str, messages: list[str]
) -> None:
    heading = "Your members' traffic"
    await page.goto(run.base_url + "/members/yours")
    await page.get_by_label("Email address").fill(director)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/members/yours")
    await page.get_by_role("link", name="Your members' traffic through the gateway").click()
    await page.wait_for_url("**/members/yours/traffic")
    await run.checked(page, "yours", heading)
    main = await page.locator("main").inner_text()
    assert f"{member}/app/badges" in main
    assert "Client.Forbidden" in main
    for message_id in messages:
        assert await _proof_link(page, message_id).count() == 1
    href = await _proof_link(page, messages[0]).get_attribute("href")
    assert href == f"/exchange/records/{messages[0]}/proof"
    assert (await page.request.get(run.base_url + href)).status == 200

    await page.get_by_label("Side").select_option("client")
    await page.get_by_role("button", name="Show exchanges").click()
    await page.wait_for_url(re.compile(r".*direction=client.*"))
    await run.checked(page, "yours-as-client", heading)
    assert "No exchanges." in await page.locator("main").inner_text()

    await page.goto(run.base_url + "/members/yours/traffic?limit=2")
    await page.get_by_role("link", name="Older exchanges").click()
    await page.wait_for_url(re.compile(r".*before=\d+.*"))
    await run.checked(page, "yours-older", heading)
    assert await _proof_link(page, messages[0]).count() == 1
    assert await _proof_link(page, messages[2]).count() == 0


async def _platform_administrator(
    page: Page, run: PageRun, admin: str, secret: str, member: str, messages: list[str]
) -> None:
    heading = "Traffic between members"
    await page.goto(run.base_url + "/members/admin/traffic")
    await page.get_by_label("Email address").fill(admin)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/sign-in/code.*"))
    await page.get_by_label("Code").fill(totp.totp(secret))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/members/admin/traffic")
    await run.checked(page, "admin", heading)
    await page.get_by_label("Member").fill(member)
    await page.get_by_label("Outcome").select_option("refused")
    await page.get_by_role("button", name="Show exchanges").click()
    await page.wait_for_url(re.compile(r".*outcome=refused.*"))
    await run.checked(page, "admin-member", heading)
    assert await _proof_link(page, messages[1]).count() == 1
    assert await _proof_link(page, messages[0]).count() == 0


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_member_and_platform_administrators_read_the_traffic(
    open_page: OpenPage,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    director, admin, secret, member, messages = await _network(engine, settings)
    run = PageRun(live_server, axe_source, artifacts_directory, javascript, "member-traffic")
    # Each person in a browser of their own.
    for journey in ("member", "platform"):
        page = await open_page(javascript=javascript)
        if journey == "member":
            await _member_administrator(page, run, director, member, messages)
        else:
            await _platform_administrator(page, run, admin, secret, member, messages)
