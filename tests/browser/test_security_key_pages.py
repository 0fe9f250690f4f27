"""Security keys in real Chromium with its virtual authenticator (DevTools protocol, `WebAuthn` domain), so
the page's own script runs `navigator.credentials.create()` and `.get()` against a CTAP2 USB key: sign in
with password and code, add a key on the account page, sign out, sign in with password and the key. Every
page is checked with axe against WCAG 2.2 AA; without JavaScript the key page says why and offers the code.

The site is served as http://localhost:<port>: WebAuthn needs a secure context and a domain as the relying
party id, and a loopback `localhost` origin is both (an IP address is neither)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy import select

from govhub.app import create_app
from govhub.config import Settings
from govhub.db import Database
from govhub.identity.accounts import totp
from govhub.identity.accounts.models import Account
from govhub.identity.security_keys.models import SecurityKey
from govhub.kit.clock import utcnow
from tests.browser.accessibility import checked_page
from tests.support.live_server import free_port, serve_in_thread
from tests.support.oidc_journey import Person, create_person


@dataclass
class Site:
    base_url: str
    settings: Settings
    person: Person


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    port = free_port()
    here = settings.model_copy(update={"public_url": f"http://localhost:{port}"})
    database = Database(here)
    try:
        async with database.sessions() as session, session.begin():
            person = await create_person(session, here)
        with serve_in_thread(create_app(here), port):
            yield Site(f"http://localhost:{port}", here, person)
    finally:
        await database.dispose()


async def _checked(page: Page, axe_source: str, artifacts: Path, name: str, heading: str) -> None:
    await checked_page(page, axe_source, artifacts / f"security-key-{name}.png", heading=heading)


async def _password(page: Page, site: Site) -> None:
    await page.goto(site.base_url + "/sign-in")
    await page.get_by_label("Email address").fill(site.person.email)
    await page.get_by_label("Password", exact=True).fill(site.person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/sign-in/code.*"))


async def _keys(site: Site) -> list[SecurityKey]:
    database = Database(site.settings)
    try:
        async with database.sessions() as session:
            return list(await session.scalars(select(SecurityKey)))
    finally:
        await database.dispose()


async def test_add_a_security_key_and_sign_in_with_it(
    page: Page, site: Site, axe_source: str, artifacts_directory: Path
) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator = {"authenticatorId": added["authenticatorId"]}

    assert site.person.totp_secret is not None
    await _password(page, site)
    await page.get_by_label("Code").fill(totp.totp(site.person.totp_secret))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(site.base_url + "/account")
    await page.get_by_role("button", name="Add a security key").click()
    await page.wait_for_url(site.base_url + "/account/security-keys/new")
    await _checked(page, axe_source, artifacts_directory, "add", "Add a security key")
    # The script found WebAuthn: the form is shown and the no-JavaScript explanation hidden.
    assert await page.get_by_label("Name for this key").is_visible()
    assert not await page.get_by_text("Adding a security key needs JavaScript").is_visible()

    await page.get_by_role("button", name="Continue").click()  # no name yet: the server asks for one
    await page.wait_for_load_state()
    await _checked(page, axe_source, artifacts_directory, "add-errors", "Add a security key")
    assert "Enter a name for your security key" in await page.locator(".govuk-error-summary").inner_text()
    assert (await cdp.send("WebAuthn.getCredentials", authenticator))["credentials"] == []

    await page.get_by_label("Name for this key").fill("Virtual key")
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(site.base_url + "/account")
    await _checked(page, axe_source, artifacts_directory, "account", "Your account")
    assert "Virtual key" in await page.locator("main").inner_text()
    [credential] = (await cdp.send("WebAuthn.getCredentials", authenticator))["credentials"]
    [kept] = await _keys(site)
    assert kept.name == "Virtual key"
    assert kept.transports == "usb"
    # The same credential on both sides (the protocol gives the id in standard base64).
    assert kept.credential_id == credential["credentialId"].replace("+", "-").replace("/", "_").rstrip("=")

    await page.get_by_role("button", name="Sign out", exact=True).click()
    await page.wait_for_url(site.base_url + "/signed-out")
    await _password(page, site)
    await _checked(page, axe_source, artifacts_directory, "code", "Enter a code from your authenticator app")
    await page.get_by_role("link", name="Use your security key").click()
    await page.wait_for_url(re.compile(r".*/sign-in/security-key.*"))
    await _checked(page, axe_source, artifacts_directory, "use", "Use your security key")
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(site.base_url + "/account")
    assert "Password and code" in await page.locator("main").inner_text()
    [used] = await _keys(site)
    assert used.last_used_at is not None
    [credential] = (await cdp.send("WebAuthn.getCredentials", authenticator))["credentials"]
    assert used.sign_count == credential["signCount"]


async def test_without_javascript_the_key_page_says_why_and_offers_the_code(
    page_without_javascript: Page, site: Site, artifacts_directory: Path
) -> None:
    page = page_without_javascript
    database = Database(site.settings)
    try:
        async with database.sessions() as session, session.begin():
            account_id = await session.scalar(select(Account.id).where(Account.email == site.person.email))
            assert account_id is not None
            # A key of the account's, made directly: this page is never answered, only shown.
            session.add(
                SecurityKey(
                    account_id=account_id,
                    credential_id="AAAA",
                    public_key=b"never checked",
                    sign_count=0,
                    transports="usb",
                    name="A key",
                    created_at=utcnow(),
                )
            )
    finally:
        await database.dispose()
    await _password(page, site)
    await page.get_by_role("link", name="Use your security key").click()
    await page.wait_for_url(re.compile(r".*/sign-in/security-key.*"))
    await page.screenshot(path=artifacts_directory / "security-key-nojs-use.png", full_page=True)
    assert await page.get_by_text("Using a security key needs JavaScript").is_visible()
    assert not await page.get_by_role("button", name="Continue").is_visible()
    await page.get_by_role("link", name="Use a code instead").click()
    await page.wait_for_url(re.compile(r".*/sign-in/code.*"))
    assert await page.locator("h1").inner_text() == "Enter a code from your authenticator app"
