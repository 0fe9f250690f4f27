"""The registries' pages in real Chromium: listing, a register with search and paging, a record with its
proof, a personal register that shows no records; each checked with axe against WCAG 2.2 AA."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.registries import demo
from tests.browser.accessibility import axe_violations


@pytest.fixture
async def demo_registers(engine: AsyncEngine, settings: Settings) -> None:
    """The demo registers, committed, so the live server (its own connections) sees them. Idempotent."""
    async with session_factory(engine)() as session, session.begin():
        await demo.load(session, settings)


@pytest.mark.usefixtures("demo_registers")
async def test_registers_register_search_and_record_pages(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path
) -> None:
    await page.goto(live_server + "/")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Registries").click()
    await page.wait_for_url(live_server + "/registers")
    assert await page.locator("h1").inner_text() == "Registers"
    await page.screenshot(path=artifacts_directory / "registers.png", full_page=True)
    assert await axe_violations(page, axe_source) == []

    await page.get_by_role("link", name="Countries", exact=True).click()
    await page.wait_for_url(live_server + "/registers/country")
    assert await page.locator("h1").inner_text() == "Countries"
    assert await page.locator("table").first.locator("tbody tr").count() == 20
    await page.screenshot(path=artifacts_directory / "register-country.png", full_page=True)
    assert await axe_violations(page, axe_source) == []

    await page.get_by_role("navigation", name="Pages of records").get_by_role("link", name="Next").click()
    await page.wait_for_url(live_server + "/registers/country?page=2")
    assert await page.locator("table").first.locator("tbody tr").count() == 4

    await page.get_by_label("Search records").fill("kingdom")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(live_server + "/registers/country?search=kingdom")
    assert await page.locator("table").first.locator("tbody tr").count() == 7
    assert "matching \u2018kingdom\u2019" in await page.locator("main").inner_text()
    await page.screenshot(path=artifacts_directory / "register-country-search.png", full_page=True)
    assert await axe_violations(page, axe_source) == []

    await page.get_by_role("link", name="GB", exact=True).click()
    await page.wait_for_url(live_server + "/registers/country/records/GB")
    assert await page.locator("h1").inner_text() == "GB"
    main = await page.locator("main").inner_text()
    assert "United Kingdom of Great Britain and Northern Ireland" in main
    assert "Verify this record" in main
    assert "govhub ledger verify register-country --url" in main
    await page.screenshot(path=artifacts_directory / "register-country-record.png", full_page=True)
    assert await axe_violations(page, axe_source) == []


@pytest.mark.usefixtures("demo_registers")
async def test_personal_register_page_shows_no_records(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path
) -> None:
    await page.goto(live_server + "/registers/registryname")
    main = await page.locator("main").inner_text()
    assert "only available to members granted access" in main
    assert "Search records" not in main
    assert "Download" not in main
    await page.screenshot(path=artifacts_directory / "register-personal.png", full_page=True)
    assert await axe_violations(page, axe_source) == []


@pytest.mark.usefixtures("demo_registers")
async def test_search_and_paging_work_without_javascript(
    page_without_javascript: Page, live_server: str
) -> None:
    page = page_without_javascript
    await page.goto(live_server + "/registers/country")
    await page.get_by_label("Search records").fill("republic")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(live_server + "/registers/country?search=republic")
    assert "matching \u2018republic\u2019" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="Show all records").click()
    await page.wait_for_url(live_server + "/registers/country")
    await page.get_by_role("link", name="Page 2").click()
    await page.wait_for_url(live_server + "/registers/country?page=2")
    assert await page.locator("table").first.locator("tbody tr").count() == 4


@pytest.mark.usefixtures("demo_registers")
async def test_a_registers_page_marks_its_indexed_and_unique_fields(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path
) -> None:
    await page.goto(live_server + "/registers/local-authority")
    fields = page.locator("table").last
    assert "Indexed" in await fields.locator("tr", has_text="nation").inner_text()
    await page.goto(live_server + "/registers/iso-country")
    fields = page.locator("table").last
    assert "Unique" in await fields.locator("tr", has_text="alpha_3").inner_text()
    await page.screenshot(path=artifacts_directory / "register-iso-country.png", full_page=True)
    assert await axe_violations(page, axe_source) == []
