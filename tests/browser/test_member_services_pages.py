"""A member administrator's services page in real Chromium against a live server: their service with its
endpoints, a right granted from the form (a wrong client refused with the error summary first), then
revoked with its button; every page checked with axe against WCAG 2.2 AA, and the same done without
JavaScript."""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govhub.config import Settings
from govhub.db import session_factory
from govhub.members.onboarding.service import Decider
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from tests.browser.accessibility import checked_page
from tests.browser.conftest import OpenPage
from tests.factories.identity import create_account
from tests.factories.members import create_member
from tests.support.outbound import public_guard

PASSWORD = "correct horse battery staple"
OPENAPI = Path(__file__).parents[1] / "support" / "openapi" / "blue_badge_eligibility.json"


async def _member(
    session: AsyncSession, settings: Settings, code: str, subsystem: str, applicant: int | None
) -> None:
    await create_member(
        session,
        instance=settings.members_instance,
        by=Decider("browser test"),
        organisation_name=f"Organisation {code}",
        registration_number=code,
        member_class="COM",
        contact_name="Alex Clerk",
        contact_email="alex@example.com",
        subsystem_code=subsystem,
        applicant_account_id=applicant,
    )


async def _network(engine: AsyncEngine, settings: Settings) -> tuple[str, str, str]:
    """(the provider's administrator's email, the service id, the client subsystem id), committed."""
    email = f"director-{uuid.uuid4().hex[:8]}@example.org"
    provider, client = f"P{secrets.randbelow(10**8):08d}", f"C{secrets.randbelow(10**8):08d}"
    instance = settings.members_instance
    async with session_factory(engine)() as session, session.begin():
        account = await create_account(session, settings, email)
        await _member(session, settings, provider, "badges", account.id)
        await _member(session, settings, client, "orders", None)
        await ServicesService(session).register(
            COMMAND_LINE_ACTOR,
            subsystem=f"{instance}/COM/{provider}/badges",
            service_code="eligibility",
            base_url="https://badges.example",
            openapi=json.loads(OPENAPI.read_text()),
            outbound=public_guard(),
        )
    return email, f"{instance}/COM/{provider}/badges/eligibility", f"{instance}/COM/{client}/orders"


async def _checked(page: Page, axe_source: str, artifacts: Path, name: str, javascript: bool) -> None:
    screenshot = artifacts / f"member-services-{name}.png"
    heading = "Your services and access rights"
    await checked_page(page, axe_source, screenshot, heading=heading, javascript=javascript)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_member_administrator_grants_and_revokes_a_right(
    open_page: OpenPage,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    email, service, client = await _network(engine, settings)
    tag = "" if javascript else "nojs-"
    page = await open_page(javascript=javascript)
    await page.goto(live_server + "/members/yours/services")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/members/yours/services")
    await _checked(page, axe_source, artifacts_directory, tag + "list", javascript)
    main = await page.locator("main").inner_text()
    assert service in main
    assert "/eligibility/{nhsNumber}" in main

    await page.get_by_label("Grant access to subsystem").fill(client + "x")
    await page.get_by_role("button", name="Grant access").click()
    await _checked(page, axe_source, artifacts_directory, tag + "refused", javascript)
    assert "There is no subsystem" in await page.locator(".govuk-error-summary").inner_text()

    await page.get_by_label("Grant access to subsystem").fill(client)
    await page.get_by_label("To", exact=True).select_option("GET /eligibility/{nhsNumber}")
    await page.get_by_role("button", name="Grant access").click()
    await page.wait_for_url("**?done=granted")
    await _checked(page, axe_source, artifacts_directory, tag + "granted", javascript)
    assert client in await page.locator("main").inner_text()

    await page.get_by_role("button", name=f"Revoke {client} from GET /eligibility/{{nhsNumber}}").click()
    await page.wait_for_url("**?done=revoked")
    await _checked(page, axe_source, artifacts_directory, tag + "revoked", javascript)
    assert "No subsystem may call this service yet." in await page.locator("main").inner_text()
