"""The authorization journey's pages in real Chromium against a real server: the error page for a wrong
redirect URI, sign-in then the consent screen (Allow, and Refuse), the account's services page with its
Withdraw button, and the logout confirmation. The relying party's own addresses are answered by the test
(Playwright routing), so nothing leaves the machine. Every page is checked with axe against WCAG 2.2 AA;
the consent is also given with JavaScript off."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.async_api import Page, Route
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.accounts import totp
from govhub.identity.accounts.service import IdentityService, NewAccount
from tests.browser.accessibility import checked_page
from tests.functional.identity.oidc.authorize_support import (
    REDIRECT_URI,
    SIGNED_OUT_URI,
    authorization_parameters,
    create_relying_party,
)

PASSWORD = "correct horse battery staple"
RELYING_PARTY = re.compile(r"^https://permits\.anytown\.example/.*")


@dataclass
class World:
    client_id: str
    email: str
    secret: str


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> World:
    """A service and a person, committed (the live server has connections of its own); unique per test."""
    tag = uuid.uuid4().hex[:10]
    secret = totp.new_secret()
    email = f"consent-{tag}@example.org"
    async with session_factory(engine)() as session, session.begin():
        await create_relying_party(session, f"permits-{tag}")
        await IdentityService.for_session(session, settings).create_account(
            NewAccount(email, PASSWORD, secret, "P0", email_verified=True)
        )
    return World(f"permits-{tag}", email, secret)


@pytest.fixture
async def returns(page: Page) -> list[str]:
    """The addresses the browser was sent back to at the relying party, answered here."""
    seen: list[str] = []

    async def answer(route: Route) -> None:
        seen.append(route.request.url)
        await route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Service</title>"
        )

    await page.route(RELYING_PARTY, answer)
    return seen


async def _checked(page: Page, axe_source: str, artifacts: Path, name: str, heading: str) -> None:
    await checked_page(page, axe_source, artifacts / f"oidc-{name}.png", heading=heading)


async def _sign_in(page: Page, world: World) -> None:
    await page.get_by_label("Email address").fill(world.email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
    await page.get_by_label("Code", exact=True).fill(totp.totp(world.secret))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_load_state()


async def test_consent_services_and_logout_pages(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path, world: World, returns: list[str]
) -> None:
    wrong = authorization_parameters(world.client_id, redirect_uri="https://evil.example/")
    await page.goto(live_server + "/authorize?" + urlencode(wrong))
    await _checked(
        page, axe_source, artifacts_directory, "wrong-redirect", "The service's request cannot be used"
    )
    assert urlsplit(page.url).netloc == urlsplit(live_server).netloc

    parameters = authorization_parameters(world.client_id, scope="openid email", state="browser")
    await page.goto(live_server + "/authorize?" + urlencode(parameters))
    await page.wait_for_url(re.compile(r".*/sign-in\?.*"))
    await _sign_in(page, world)
    await _checked(
        page,
        axe_source,
        artifacts_directory,
        "consent",
        "Share your information with Apply for a resident parking permit",
    )
    main = await page.locator("main").inner_text()
    assert "Anytown Council" in main
    assert "Your email address" in main
    assert "To check who you are and send you your permit." in main

    await page.get_by_role("button", name="Allow").click()
    await page.wait_for_url(RELYING_PARTY)
    answer = parse_qs(urlsplit(returns[-1]).query)
    assert returns[-1].startswith(REDIRECT_URI)
    assert answer["state"] == ["browser"]
    assert "code" in answer

    await page.goto(live_server + "/account/services")
    await _checked(page, axe_source, artifacts_directory, "services", "Your services")
    assert "Apply for a resident parking permit" in await page.locator("main").inner_text()
    await page.get_by_role("button", name="Withdraw consent from Apply for a resident parking permit").click()
    await page.wait_for_url(re.compile(r".*/account/services\?withdrawn=.*"))
    await _checked(page, axe_source, artifacts_directory, "services-withdrawn", "Your services")
    assert "You withdrew your consent" in await page.locator("main").inner_text()

    # Asked again after withdrawing; this time refused.
    await page.goto(live_server + "/authorize?" + urlencode({**parameters, "state": "refused"}))
    await page.get_by_role("button", name="Refuse").click()
    await page.wait_for_url(RELYING_PARTY)
    assert parse_qs(urlsplit(returns[-1]).query)["error"] == ["access_denied"]

    logout = {"client_id": world.client_id, "post_logout_redirect_uri": SIGNED_OUT_URI, "state": "bye"}
    await page.goto(live_server + "/logout?" + urlencode(logout))
    await _checked(page, axe_source, artifacts_directory, "logout-confirm", "Do you want to sign out?")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(RELYING_PARTY)
    assert returns[-1] == SIGNED_OUT_URI + "?state=bye"

    await page.goto(live_server + "/logout")
    await _checked(page, axe_source, artifacts_directory, "signed-out", "You have signed out")


async def test_consent_works_without_javascript(
    page_without_javascript: Page, live_server: str, world: World
) -> None:
    page = page_without_javascript
    seen: list[str] = []

    async def answer(route: Route) -> None:
        seen.append(route.request.url)
        await route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Service</title>"
        )

    await page.route(RELYING_PARTY, answer)
    parameters = authorization_parameters(world.client_id, scope="openid email", state="no-js")
    await page.goto(live_server + "/authorize?" + urlencode(parameters))
    await _sign_in(page, world)
    await page.get_by_role("button", name="Allow").click()
    await page.wait_for_url(RELYING_PARTY)
    assert parse_qs(urlsplit(seen[-1]).query)["state"] == ["no-js"]
