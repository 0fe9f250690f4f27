from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from tests.browser.accessibility import axe_violations


async def test_home_page_renders_and_passes_axe(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path
) -> None:
    response = await page.goto(live_server + "/")
    assert response is not None
    assert response.status == 200
    assert (await page.locator("h1").inner_text()).startswith("govhub")
    # GOV.UK Frontend's JavaScript ran: the page template marks the body when the browser supports it.
    assert "govuk-frontend-supported" in (await page.locator("body").get_attribute("class") or "")
    await page.screenshot(path=artifacts_directory / "home.png", full_page=True)
    assert await axe_violations(page, axe_source) == []


async def test_error_page_renders_and_passes_axe(
    page: Page, live_server: str, axe_source: str, artifacts_directory: Path
) -> None:
    response = await page.goto(live_server + "/no/such/page")
    assert response is not None
    assert response.status == 404
    assert await page.locator("h1").inner_text() == "Not Found"
    await page.screenshot(path=artifacts_directory / "not-found.png", full_page=True)
    assert await axe_violations(page, axe_source) == []


async def test_the_header_uses_the_brand_and_system_fonts(page: Page, live_server: str) -> None:
    await page.goto(live_server + "/")
    header = page.locator(".govhub-header")
    assert await header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 79, 145)"
    font = await page.locator("h1").evaluate("e => getComputedStyle(e).fontFamily")
    assert "GDS Transport" not in font
    assert "system-ui" in font


async def test_pages_work_without_javascript(page_without_javascript: Page, live_server: str) -> None:
    page = page_without_javascript
    await page.goto(live_server + "/")
    assert "govuk-frontend-supported" not in (await page.locator("body").get_attribute("class") or "")
    await page.get_by_role("link", name="Liveness").click()
    await page.wait_for_url(live_server + "/healthz")
    await page.goto(live_server + "/")
    await page.get_by_role("link", name="Skip to main content").focus()
    await page.keyboard.press("Enter")
    assert page.url.endswith("#main-content")
