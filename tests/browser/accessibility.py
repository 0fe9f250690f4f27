"""axe-core, injected into the page, checked against WCAG 2.2 AA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Page

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    # Evaluated by the browser's DevTools protocol, which the page's Content Security Policy does not
    # govern: a `<script>` added to the page would be refused, as the policy refuses every inline script
    # but GOV.UK Frontend's own. (`;undefined`: the value is not a function for Playwright to call.)
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(axe_source + "\n;undefined")
    result: dict[str, Any] = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    assert result["passes"], "axe ran no passing checks at all, so it did not really run"
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


async def checked_page(
    page: Page, axe_source: str, screenshot: Path, *, heading: str | None = None, javascript: bool = True
) -> None:
    """What every page test checks of a page it reached: its `h1` (when `heading` is given), a full-page
    screenshot kept with the run's artifacts, and no WCAG 2.2 AA violations by axe, which runs in the
    page's JavaScript, so only in a browser with JavaScript on (where the page's own inline script must
    have run under its Content Security Policy too)."""
    if heading is not None:
        assert await page.locator("h1").inner_text() == heading
    await page.screenshot(path=screenshot, full_page=True)
    if javascript:
        # GOV.UK Frontend's one inline script ran: the Content Security Policy allows it by its hash.
        assert await page.evaluate("document.body.classList.contains('js-enabled')"), screenshot.stem
        assert await axe_violations(page, axe_source) == [], screenshot.stem


@dataclass
class PageRun:
    """One browser run of a page test, with or without JavaScript; screenshots are named
    `{prefix}-[nojs-]{name}.png`."""

    base_url: str
    axe_source: str
    artifacts: Path
    javascript: bool
    prefix: str

    async def checked(self, page: Page, name: str, heading: str) -> None:
        tag = "" if self.javascript else "nojs-"
        screenshot = self.artifacts / f"{self.prefix}-{tag}{name}.png"
        await checked_page(page, self.axe_source, screenshot, heading=heading, javascript=self.javascript)
