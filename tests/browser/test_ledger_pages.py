from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.ledger import demo
from tests.browser.accessibility import axe_violations


@pytest.fixture
async def demo_ledger(engine: AsyncEngine, settings: Settings) -> str:
    """The demo ledger, committed, so the live server (its own connections) sees it. Loading is idempotent."""
    async with session_factory(engine)() as session, session.begin():
        await demo.load(session, settings)
    return demo.DEMO_LEDGER


async def test_ledger_pages_render_and_pass_axe(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path, demo_ledger: str
) -> None:
    await page.goto(live_server + "/")
    await page.get_by_role("link", name="Verifiable ledger").first.click()
    await page.wait_for_url(live_server + "/ledgers")
    assert await page.locator("h1").inner_text() == "Verifiable ledgers"
    assert await axe_violations(page, axe_source) == []

    await page.get_by_role("link", name=demo_ledger).click()
    await page.wait_for_url(f"{live_server}/ledgers/{demo_ledger}")
    assert await page.locator("h1").inner_text() == demo_ledger
    assert "127.0.0.1:8000/ledgers/demo-register" in await page.locator("pre").first.inner_text()
    await page.screenshot(path=artifacts_directory / "ledger.png", full_page=True)
    assert await axe_violations(page, axe_source) == []
