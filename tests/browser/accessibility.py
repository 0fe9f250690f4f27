"""axe-core, injected into the page, checked against WCAG 2.2 AA."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    await page.add_script_tag(content=axe_source)
    result: dict[str, Any] = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    assert result["passes"], "axe ran no passing checks at all, so it did not really run"
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
