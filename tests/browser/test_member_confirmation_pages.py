"""A director confirms that an applicant acts for their registered organisation, in real Chromium against a
live server: the platform administrator sees that the organisation is registered and who acts for it, and
approves (nothing is made yet); the organisation's director, signed in with password and code, finds the
request on their page, is refused a decline without a reason, and confirms; the member is then made. Every
page is checked with axe against WCAG 2.2 AA; the same journey runs without JavaScript (issue 14)."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from joserfc import jwk
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.accounts import totp
from govhub.identity.organisations.service import NewOrganisation, OrganisationsService
from govhub.members.onboarding.service import Decider
from tests.browser.accessibility import PageRun
from tests.browser.conftest import OpenPage
from tests.factories.identity import create_account
from tests.factories.members import create_application, create_platform_admin

PASSWORD = "correct horse battery staple"


@dataclass
class Setting:
    organisation: str
    number: str
    applicant: str
    director: str
    director_secret: str
    admin: str
    admin_secret: str
    reference: str


async def _setting(engine: AsyncEngine, settings: Settings) -> Setting:
    """A registered company with a director, a stranger's application for it, an administrator; committed."""
    tag = uuid.uuid4().hex[:8]
    number = f"SC{secrets.randbelow(10**6):06d}"
    name = f"Ambridge Organics {tag} Ltd"
    applicant, director, admin = (f"{who}-{tag}@example.org" for who in ("stranger", "director", "admin"))
    director_secret, admin_secret = totp.new_secret(), totp.new_secret()
    key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    async with session_factory(engine)() as session, session.begin():
        stranger = await create_account(session, settings, applicant)
        await create_account(session, settings, director, secret=director_secret)
        await create_account(session, settings, admin, secret=admin_secret)
        await create_platform_admin(session, admin, by=Decider("browser test"))
        organisations = OrganisationsService.for_session(session)
        organisation = await organisations.create_organisation(NewOrganisation(name, number, "company"))
        await organisations.link(director, organisation.public_id, "director")
        application = await create_application(
            session,
            instance=settings.members_instance,
            organisation_name=name,
            registration_number=number,
            member_class="COM",
            contact_name="A stranger",
            contact_email=applicant,
            subsystem_code="orders",
            jwks={"keys": [{**key.as_dict(private=False), "use": "sig"}]},
            applicant_account_id=stranger.id,
        )
    return Setting(
        name, number, applicant, director, director_secret, admin, admin_secret, application.public_id
    )


async def _sign_in(page: Page, email: str, secret: str) -> None:
    assert "/sign-in?" in page.url
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/sign-in/code.*"))
    await page.get_by_label("Code").fill(totp.totp(secret))
    await page.get_by_role("button", name="Continue").click()


async def _approve(page: Page, run: PageRun, setting: Setting) -> None:
    application = f"{run.base_url}/members/admin/applications/{setting.reference}"
    await page.goto(application)
    await _sign_in(page, setting.admin, setting.admin_secret)
    await page.wait_for_url(application)
    await run.checked(page, "admin-registered", setting.organisation)
    main = await page.locator("main").inner_text()
    assert "This organisation is already registered" in main
    assert setting.director in main
    await page.get_by_role("button", name="Approve application").click()
    await page.wait_for_url(application + "?confirming=1")
    await run.checked(page, "admin-confirming", setting.organisation)
    assert "the organisation is asked to confirm" in await page.locator("main").inner_text()


async def _confirm(page: Page, run: PageRun, setting: Setting) -> None:
    await page.goto(run.base_url + "/members/yours")
    await _sign_in(page, setting.director, setting.director_secret)
    await page.wait_for_url(run.base_url + "/members/yours")
    await run.checked(page, "yours-asked", "Your applications and members")
    assert setting.applicant in await page.locator("main").inner_text()
    await page.get_by_role("link", name=re.compile("Confirm or decline")).click()
    await page.wait_for_url(re.compile(r".*/members/yours/confirmations/.*"))
    await run.checked(page, "confirmation", "Does this person act for your organisation?")

    await page.get_by_role("button", name="Decline the application").click()
    await page.wait_for_load_state()
    await run.checked(page, "confirmation-errors", "Does this person act for your organisation?")
    assert "Give the reason for the decline" in await page.locator(".govuk-error-summary").inner_text()

    await page.get_by_role("button", name=f"Confirm they act for {setting.organisation}").click()
    await page.wait_for_url(re.compile(r".*/members/yours\?confirmed=.*"))
    await run.checked(page, "yours-confirmed", "Your applications and members")
    assert "Confirmed" in await page.locator("main").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_director_confirms_an_applicant_for_their_registered_organisation(
    open_page: OpenPage,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    run = PageRun(live_server, axe_source, artifacts_directory, javascript, "members-confirmation")
    setting = await _setting(engine, settings)
    await _approve(await open_page(javascript=javascript), run, setting)
    await _confirm(await open_page(javascript=javascript), run, setting)

    # The applicant now administers the member.
    applying = await open_page(javascript=javascript)
    await applying.goto(live_server + "/members/yours")
    await applying.get_by_label("Email address").fill(setting.applicant)
    await applying.get_by_label("Password", exact=True).fill(PASSWORD)
    await applying.get_by_role("button", name="Sign in").click()
    await applying.wait_for_url(live_server + "/members/yours")
    await run.checked(applying, "yours-member", "Your applications and members")
    assert f"GOVHUB-DEV/COM/{setting.number}/orders" in await applying.locator("main").inner_text()
