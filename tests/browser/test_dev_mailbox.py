"""The development mailbox page, with mail the running server received over SMTP, checked with axe."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from govhub.app import create_app
from govhub.config import Settings
from govhub.kit.mail import Mail, Mailer
from tests.browser.accessibility import axe_violations
from tests.support.live_server import serve_in_thread
from tests.support.mail import free_port


async def test_the_mailbox_shows_what_the_server_received(
    page: Page, settings: Settings, axe_source: str, artifacts_directory: Path
) -> None:
    with_mailbox = settings.model_copy(update={"dev_mailbox": True, "smtp_port": free_port()})
    with serve_in_thread(create_app(with_mailbox)) as base_url:
        await Mailer(with_mailbox).send(
            Mail("ann@example.org", "Confirm your email address", "Your code is 123 456.\n\nThe govhub team")
        )
        await page.goto(base_url + "/dev/mail")
        main = await page.locator("main").inner_text()
        assert "Confirm your email address" in main
        assert "To ann@example.org" in main
        assert "Your code is 123 456." in main
        await page.screenshot(path=artifacts_directory / "dev-mailbox.png", full_page=True)
        assert await axe_violations(page, axe_source) == []
