"""The whole identity journey in real Chromium, across two real servers: the demo council service and govhub,
each on a loopback port of its own. Start at the service, sign in at govhub with a password and an
authenticator code, agree to share, come back signed in (the service shows what userinfo said), step up
to a matched identity, then sign out from the service (RP-initiated logout) and see govhub's back-channel
logout reach the service. Every page of both apps is checked with axe against WCAG 2.2 AA."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Page

from govhub.app import create_app
from govhub.config import Environment, Settings
from govhub.db import Database
from govhub.demo_service.app import create_app as create_demo_service
from govhub.demo_service.keys import new_key
from govhub.demo_service.registration import register_demo_service
from govhub.demo_service.sessions import SessionStore
from govhub.demo_service.settings import DemoServiceSettings
from govhub.identity.accounts import totp
from govhub.identity.oidc.logout.delivery import deliver_due_logouts
from tests.browser.accessibility import axe_violations
from tests.support.live_server import free_port, serve_in_thread
from tests.support.oidc_journey import MATCHED_FAMILY_NAME, MATCHED_GIVEN_NAME, Person, create_person


@dataclass
class Servers:
    govhub: str
    service: str
    settings: Settings
    service_app: FastAPI
    person: Person


@pytest.fixture
async def servers(migrated_url: str) -> AsyncIterator[Servers]:
    """govhub and the demo service, each knowing the other's real address, on a database of their own
    (committed writes); the demo service registered by `govhub demo load`'s own function, with its keys
    published at its `/jwks.json` for govhub to fetch."""
    govhub_port, service_port = free_port(), free_port()
    settings = Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=migrated_url,
        public_url=f"http://127.0.0.1:{govhub_port}",
        log_format="text",
        dev_mailbox=False,
        # The test sends the owed back-channel logouts itself, when it expects them.
        oidc_logout_delivery=False,
    )
    demo_settings = DemoServiceSettings(
        _env_file=None,
        issuer_url=settings.public_url,
        public_url=f"http://127.0.0.1:{service_port}",
        private_jwk=json.dumps(new_key().as_dict(private=True)),
    )
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            await register_demo_service(session, demo_settings)
            person = await create_person(session, settings, matched=True)
        service_app = create_demo_service(demo_settings)
        with (
            serve_in_thread(create_app(settings), govhub_port) as govhub_url,
            serve_in_thread(service_app, service_port) as service_url,
        ):
            yield Servers(govhub_url, service_url, settings, service_app, person)
    finally:
        await database.dispose()


@pytest.fixture
def screenshots(artifacts_directory: Path) -> Path:
    directory = artifacts_directory / "identity-journey"
    directory.mkdir(exist_ok=True)
    return directory


async def _accessible(page: Page, axe_source: str, shots: Path, name: str) -> None:
    await page.screenshot(path=shots / f"{name}.png", full_page=True)
    assert await axe_violations(page, axe_source) == [], f"axe found problems on {name} ({page.url})"


async def _sign_in_at_govhub(page: Page, servers: Servers, axe_source: str, shots: Path) -> None:
    person = servers.person
    await page.wait_for_url(f"{servers.govhub}/sign-in**")
    await _accessible(page, axe_source, shots, "govhub-sign-in")
    await page.locator("input[autocomplete=email]").fill(person.email)
    await page.locator("input[autocomplete=current-password]").fill(person.password)
    await page.locator("main form button[type=submit], main form button:not([type])").first.click()
    code = page.locator("input[autocomplete=one-time-code]")
    await code.wait_for()
    await _accessible(page, axe_source, shots, "govhub-sign-in-code")
    assert person.totp_secret is not None
    await code.fill(totp.totp(person.totp_secret))
    await page.locator("main form button[type=submit], main form button:not([type])").first.click()


async def _allow(page: Page, servers: Servers, axe_source: str, shots: Path, name: str) -> None:
    allow = page.locator("button[name=decision][value=allow]")
    await allow.wait_for()
    assert page.url.startswith(servers.govhub)
    main = await page.locator("main").inner_text()
    assert "Demo Borough Council" in main or "Apply for a resident parking permit" in main
    await _accessible(page, axe_source, shots, name)
    await allow.click()


async def test_sign_in_consent_step_up_and_logout_across_two_servers(
    page: Page, servers: Servers, axe_source: str, screenshots: Path
) -> None:
    service = servers.service
    await page.goto(service + "/")
    assert await page.locator("h1").inner_text() == "Apply for a resident parking permit"
    await _accessible(page, axe_source, screenshots, "service-start")

    # Starting needs two factors (vtr Cl.Cm) and the person's email address (consent).
    await page.get_by_role("button", name="Start now").click()
    await _sign_in_at_govhub(page, servers, axe_source, screenshots)
    await _allow(page, servers, axe_source, screenshots, "govhub-consent-email")
    await page.wait_for_url(service + "/apply")
    signed_in = await page.locator("[data-signed-in]").inner_text()
    assert servers.person.email in signed_in
    userinfo = await page.locator("[data-userinfo]").inner_text()
    assert servers.person.email in userinfo  # what govhub's userinfo endpoint said
    assert "Cl.Cm" in userinfo
    await _accessible(page, axe_source, screenshots, "service-signed-in")

    # Applying needs a matched identity (Cl.Cm.P2): govhub asks only for consent to the identity data,
    # since the session already has two factors and the account is matched.
    await page.get_by_role("button", name="Confirm your identity with govhub").click()
    await _allow(page, servers, axe_source, screenshots, "govhub-consent-identity")
    await page.wait_for_url(service + "/apply")
    userinfo = await page.locator("[data-userinfo]").inner_text()
    assert f"{MATCHED_GIVEN_NAME} {MATCHED_FAMILY_NAME}" in userinfo
    assert "10 December 1985" in userinfo
    assert "Cl.Cm.P2" in userinfo
    await _accessible(page, axe_source, screenshots, "service-identity-checked")

    await page.get_by_label("Vehicle registration number").fill("AB12 CDE")
    await page.get_by_label("Zone B: Riverside").check()
    await page.get_by_role("button", name="Send application").click()
    await page.wait_for_url(service + "/apply/done")
    assert "AB12CDE" in await page.locator("main").inner_text()
    await _accessible(page, axe_source, screenshots, "service-application-sent")

    # Sign out at the service: it ends its own session and sends the browser to govhub's /logout, which
    # ends the govhub session (perhaps after asking) and comes back.
    sessions: SessionStore = servers.service_app.state.sessions
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(lambda url: url.startswith(service + "/signed-out") or "/logout" in url)
    if not page.url.startswith(service):
        await _accessible(page, axe_source, screenshots, "govhub-logout")
        await page.locator("main form button[type=submit], main form button:not([type])").first.click()
    await page.wait_for_url(service + "/signed-out**")
    await _accessible(page, axe_source, screenshots, "service-signed-out")

    # govhub owes the service a back-channel logout for the ended session: a delivery round (what the
    # app's background task or `govhub identity deliver-logouts` runs) sends it, over HTTP.
    database = Database(servers.settings)
    try:
        outcome = await deliver_due_logouts(database.sessions, servers.settings)
    finally:
        await database.dispose()
    assert outcome.delivered == 1
    assert [logout.sid for logout in sessions.logouts if logout.sid], "no back-channel logout arrived"

    # Signed out at govhub too: starting again asks for the password again.
    await page.goto(service + "/start")
    await page.wait_for_url(f"{servers.govhub}/sign-in**")


async def test_the_service_starts_signing_in_without_javascript(
    page_without_javascript: Page, servers: Servers
) -> None:
    page = page_without_javascript
    await page.goto(servers.service + "/")
    await page.get_by_role("button", name="Start now").click()
    await page.wait_for_url(f"{servers.govhub}/sign-in**")
    assert await page.locator("input[autocomplete=current-password]").count() == 1
