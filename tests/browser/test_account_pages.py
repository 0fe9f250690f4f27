"""The account journey in real Chromium against a real server: sign up, the confirmation mail read from
the server's SMTP mailbox, confirm, set up the authenticator app, keep the recovery codes, sign out, sign in
with password and code. Every page is checked with axe against WCAG 2.2 AA; one run works without
JavaScript."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from playwright.async_api import Page

from govhub.app import create_app
from govhub.config import Settings
from govhub.identity.accounts import totp
from tests.browser.accessibility import checked_page
from tests.support.live_server import serve_in_thread
from tests.support.mail import free_port

NO_JS = "nojs-"
PASSWORD = "correct horse battery staple"


async def _checked(page: Page, axe_source: str, artifacts: Path, name: str, heading: str) -> None:
    screenshot = artifacts / f"account-{name}.png"
    await checked_page(page, axe_source, screenshot, heading=heading, javascript=not name.startswith(NO_JS))


async def _journey(page: Page, settings: Settings, axe_source: str, artifacts: Path, tag: str) -> None:  # noqa: PLR0915 (one journey, step by step)
    with_mailbox = settings.model_copy(update={"dev_mailbox": True, "smtp_port": free_port()})
    app = create_app(with_mailbox)
    email = f"browser-{uuid.uuid4().hex[:12]}@example.org"
    with serve_in_thread(app) as base_url:
        await page.goto(base_url + "/sign-up")
        await _checked(page, axe_source, artifacts, f"{tag}sign-up", "Create an account")
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_load_state()
        await _checked(page, axe_source, artifacts, f"{tag}sign-up-errors", "Create an account")
        assert "There is a problem" in await page.locator("main").inner_text()

        await page.get_by_label("Email address").fill(email)
        await page.get_by_label("Create a password").fill(PASSWORD)
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_load_state()
        await _checked(page, axe_source, artifacts, f"{tag}check-email", "Check your email")

        [mail] = [m for m in app.state.dev_mailbox.mails() if email in m.recipients]
        link = re.search(r"https?://\S+", mail.text)
        assert link is not None
        await page.goto(base_url + "/" + link.group(0).split("/", 3)[3])
        await _checked(page, axe_source, artifacts, f"{tag}confirm", "Confirm your email address")
        await page.get_by_role("button", name="Confirm and continue").click()
        await page.wait_for_url(re.compile(r".*/account/authenticator.*"))
        await _checked(page, axe_source, artifacts, f"{tag}authenticator", "Set up your authenticator app")

        secret = await page.locator("input[name=secret]").get_attribute("value")
        assert secret is not None
        assert "".join((await page.locator("#secret-key").inner_text()).split()) == secret
        await page.get_by_label("Code from your authenticator app").fill(totp.totp(secret))
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_load_state()
        await _checked(page, axe_source, artifacts, f"{tag}recovery-codes", "Your recovery codes")
        assert await page.locator("ol.govhub-recovery-codes li").count() == 10

        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_url(base_url + "/account")
        await _checked(page, axe_source, artifacts, f"{tag}account", "Your account")
        assert email in await page.locator("main").inner_text()

        await page.get_by_role("button", name="Sign out", exact=True).click()
        await page.wait_for_url(base_url + "/signed-out")
        await _checked(page, axe_source, artifacts, f"{tag}signed-out", "You have signed out")

        await page.get_by_role("link", name="Sign in again").click()
        await page.wait_for_url(re.compile(r".*/sign-in$"))
        await _checked(page, axe_source, artifacts, f"{tag}sign-in", "Sign in")
        await page.get_by_label("Email address").fill(email)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(re.compile(r".*/sign-in/code.*"))
        await _checked(page, axe_source, artifacts, f"{tag}code", "Enter a code from your authenticator app")
        await page.get_by_label("Code").fill("000000")
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_load_state()
        await _checked(
            page, axe_source, artifacts, f"{tag}code-errors", "Enter a code from your authenticator app"
        )
        # The code used at set-up was this step's; the next step's is one the window allows.
        await page.get_by_label("Code").fill(totp.totp(secret, time.time() + 30))
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_url(base_url + "/account")
        assert "Password and code" in await page.locator("main").inner_text()


async def test_sign_up_confirm_set_up_the_app_and_sign_in_with_a_code(
    page: Page, settings: Settings, axe_source: str, artifacts_directory: Path
) -> None:
    await _journey(page, settings, axe_source, artifacts_directory, "")


async def test_the_journey_works_without_javascript(
    page_without_javascript: Page, settings: Settings, axe_source: str, artifacts_directory: Path
) -> None:
    await _journey(page_without_javascript, settings, axe_source, artifacts_directory, NO_JS)
