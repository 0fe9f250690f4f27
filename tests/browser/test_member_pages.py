"""Joining the platform in real Chromium against a live server: a person applies (signing in on the way),
sees the form's errors and sends the application; a platform administrator signs in with password and
code, refuses a rejection without a reason, approves, and suspends the new member with a reason. Every page
is checked with axe against WCAG 2.2 AA; the same journey runs without JavaScript."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from joserfc import jwk
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.accounts import totp
from govhub.members.onboarding.service import Decider
from tests.browser.accessibility import checked_page
from tests.browser.conftest import OpenPage
from tests.factories.identity import create_account
from tests.factories.members import create_platform_admin

PASSWORD = "correct horse battery staple"


async def _accounts(engine: AsyncEngine, settings: Settings) -> tuple[str, str, str]:
    """A new applicant, and a new platform administrator with an authenticator app, committed so that the
    live server sees them: (applicant's email, administrator's email, administrator's TOTP secret)."""
    tag = uuid.uuid4().hex[:8]
    applicant, admin, secret = f"clerk-{tag}@example.org", f"admin-{tag}@example.org", totp.new_secret()
    async with session_factory(engine)() as session, session.begin():
        await create_account(session, settings, applicant)
        await create_account(session, settings, admin, secret=secret)
        await create_platform_admin(session, admin, by=Decider("browser test"))
    return applicant, admin, secret


async def _checked(page: Page, axe_source: str, artifacts: Path, name: str, heading: str) -> None:
    screenshot = artifacts / f"members-{name}.png"
    await checked_page(page, axe_source, screenshot, heading=heading, javascript=not name.startswith("nojs-"))


async def _sign_in(page: Page, email: str) -> None:
    assert "/sign-in?" in page.url
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


@dataclass
class Journey:
    base_url: str
    axe_source: str
    artifacts: Path
    #: "" with JavaScript, "nojs-" without (screenshots are named by it; axe runs only with it).
    tag: str
    number: str = field(default_factory=lambda: f"E{secrets.randbelow(10**8):08d}")

    @property
    def name(self) -> str:
        return f"Felpersham Council {self.number}"

    async def checked(self, page: Page, name: str, heading: str) -> None:
        await _checked(page, self.axe_source, self.artifacts, self.tag + name, heading)


async def _apply(page: Page, journey: Journey, applicant: str) -> None:
    key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    await page.goto(journey.base_url + "/members")
    await journey.checked(page, "home", "Members and services")
    await page.get_by_role("button", name="Apply to join").click()
    await _sign_in(page, applicant)
    await page.wait_for_url(journey.base_url + "/members/apply")
    await journey.checked(page, "apply", "Apply to join")
    assert await page.get_by_label("Contact's email address").input_value() == applicant

    await page.get_by_role("button", name="Send application").click()
    await page.wait_for_load_state()
    await journey.checked(page, "apply-errors", "Apply to join")
    summary = await page.locator(".govuk-error-summary").inner_text()
    assert "Select the type of organisation" in summary
    assert "Paste your subsystem's public key" in summary

    await page.get_by_label("Organisation name").fill(journey.name)
    await page.get_by_label("Registration number").fill(journey.number)
    await page.get_by_label("Government department or public body").check()
    await page.get_by_label("Contact's full name").fill("Sam Clerk")
    await page.get_by_label("Subsystem code").fill("parking")
    await page.get_by_label("Public key").fill(
        json.dumps({"keys": [{**key.as_dict(private=False), "use": "sig"}]})
    )
    await page.get_by_role("button", name="Send application").click()
    await page.wait_for_url(re.compile(r".*/members/yours\?applied=.*"))
    await journey.checked(page, "yours", "Your applications and members")
    assert "Application sent" in await page.locator("main").inner_text()


async def _decide(page: Page, journey: Journey, admin: str, secret: str) -> None:
    await page.goto(journey.base_url + "/members/admin/applications")
    await _sign_in(page, admin)
    await page.wait_for_url(re.compile(r".*/sign-in/code.*"))
    await page.get_by_label("Code").fill(totp.totp(secret))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(journey.base_url + "/members/admin/applications")
    await journey.checked(page, "admin-applications", "Applications")

    await page.get_by_role("link", name=journey.name).click()
    await journey.checked(page, "admin-application", journey.name)
    await page.get_by_role("button", name="Reject application").click()
    await page.wait_for_load_state()
    await journey.checked(page, "admin-reject-errors", journey.name)
    assert "Give the reason for the rejection" in await page.locator(".govuk-error-summary").inner_text()

    await page.get_by_role("button", name="Approve application").click()
    await page.wait_for_url(re.compile(r".*\?approved=1$"))
    await journey.checked(page, "admin-member", journey.name)
    main = await page.locator("main").inner_text()
    assert "Application approved" in main
    assert f"GOVHUB-DEV.GOV.{journey.number}.parking" in main

    await page.get_by_label("Reason for suspending").fill("Checking a data breach report")
    await page.get_by_role("button", name="Suspend member").click()
    await page.wait_for_url(re.compile(r".*\?changed=suspended$"))
    await journey.checked(page, "admin-suspended", journey.name)
    assert "Checking a data breach report" in await page.locator("main").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_person_applies_and_an_administrator_approves_and_suspends(
    open_page: OpenPage,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    journey = Journey(live_server, axe_source, artifacts_directory, "" if javascript else "nojs-")
    applicant, admin, secret = await _accounts(engine, settings)
    applying = await open_page(javascript=javascript)
    await _apply(applying, journey, applicant)
    await _decide(await open_page(javascript=javascript), journey, admin, secret)

    # The applicant now administers the member, and sees it suspended.
    await applying.goto(live_server + "/members/yours")
    await journey.checked(applying, "yours-member", "Your applications and members")
    main = await applying.locator("main").inner_text()
    assert f"GOVHUB-DEV/GOV/{journey.number}/parking" in main
    assert "Suspended" in main
