"""The Content Security Policy in real Chromium: pages work under it without one violation reported (GOV.UK
Frontend's script and inline-script hash, the QR code on the authenticator page, Swagger UI on `/docs`),
and no other site can show a page of ours in a frame (`frame-ancestors 'none'`, issue 14)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page

from govhub.config import Settings
from govhub.db import Database
from govhub.identity.accounts import totp
from tests.browser.accessibility import checked_page
from tests.support.oidc_journey import Person, create_person


@pytest.fixture
async def person(settings: Settings) -> Person:
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            made = await create_person(session, settings)
    finally:
        await database.dispose()
    return made


@pytest.fixture
async def watched(browser: Browser) -> AsyncIterator[tuple[Page, list[str]]]:
    """A page whose console messages about the Content Security Policy are kept, from the first request."""
    context = await browser.new_context()
    page = await context.new_page()
    reported: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "frame-ancestors" in message.text:
            reported.append(message.text)

    page.on("console", keep)
    yield page, reported
    await context.close()


async def test_pages_run_under_the_policy_without_a_violation(
    watched: tuple[Page, list[str]],
    live_server: str,
    person: Person,
    axe_source: str,
    artifacts_directory: Path,
) -> None:
    page, reported = watched
    for path, heading in [("/", None), ("/sign-in", "Sign in"), ("/members", None)]:
        await page.goto(live_server + path)
        screenshot = artifacts_directory / f"csp{path.replace('/', '-')}.png"
        await checked_page(page, axe_source, screenshot, heading=heading)
    # Swagger UI, started from a file of ours, renders the API document.
    await page.goto(live_server + "/docs")
    await page.locator(".swagger-ui .info .title").wait_for()
    assert "API" in await page.locator(".swagger-ui .info .title").inner_text()
    assert await page.locator(".opblock").count() > 10
    # The authenticator page, with its QR code drawn as inline SVG, after signing in with a password.
    await page.goto(live_server + "/sign-in")
    await page.get_by_label("Email address").fill(person.email)
    await page.get_by_label("Password", exact=True).fill(person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/sign-in/code.*"))
    assert person.totp_secret is not None
    await page.get_by_label("Code").fill(totp.totp(person.totp_secret))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(live_server + "/account")
    await page.goto(live_server + "/account/authenticator")
    assert await page.locator(".govhub-qr-code svg").is_visible()
    await checked_page(page, axe_source, artifacts_directory / "csp-authenticator.png")
    assert reported == []


async def test_no_other_site_can_frame_a_page(watched: tuple[Page, list[str]], live_server: str) -> None:
    page, reported = watched
    # A page of another origin (about:blank here) puts the sign-in page in a frame, as a clickjacker would.
    frame = f'<iframe title="framed" src="{live_server}/sign-in" width="600" height="400"></iframe>'
    async with page.expect_console_message(lambda message: "frame-ancestors" in message.text) as refusal:
        await page.set_content(frame)
    assert "frame-ancestors 'none'" in (await refusal.value).text
    # What the frame shows is the browser's own refusal, not the sign-in page.
    [framed] = page.main_frame.child_frames
    assert not framed.url.startswith(live_server)
    assert await page.frame_locator("iframe").get_by_role("button", name="Sign in").count() == 0
    assert reported
