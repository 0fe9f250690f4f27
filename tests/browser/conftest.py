"""Real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright for Python, against a real server.

Playwright's async API runs on the suite's one event loop; its sync API would leave a loop running in the
main thread and break every async test after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.app import create_app
from govhub.config import Settings
from govhub.db import create_async_engine
from tests.conftest import make_settings, migrated_database
from tests.support.databases import SuiteDatabases
from tests.support.live_server import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


# Browser tests commit through live servers (accounts, consents, identity checks), so they get a database
# of their own: the functional tests' database stays as their rolled-back transactions leave it. These
# override the root conftest's fixtures of the same names for everything under tests/browser.
@pytest.fixture(scope="session")
def database_url(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[str]:
    yield from migrated_database(test_databases, f"govhub_browser_{worker_id_safe}")


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    with serve_in_thread(create_app(settings)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


class OpenPage(Protocol):
    """Opens a page in a browser of its own: its own context, so its own cookies (one person each)."""

    async def __call__(self, *, javascript: bool = True) -> Page: ...


@pytest.fixture
async def open_page(browser: Browser) -> AsyncIterator[OpenPage]:
    """Opens pages, each in a context of its own, JavaScript on or off; every context it opened is closed
    after the test, passed or failed. For tests with several people, or run with and without JavaScript."""
    contexts: list[BrowserContext] = []

    async def opened(*, javascript: bool = True) -> Page:
        context = await browser.new_context(java_script_enabled=javascript)
        contexts.append(context)
        return await context.new_page()

    yield opened
    for context in contexts:
        await context.close()


@pytest.fixture
async def page(open_page: OpenPage) -> Page:
    return await open_page()


@pytest.fixture
async def page_without_javascript(open_page: OpenPage) -> Page:
    return await open_page(javascript=False)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs the front-end packages with npm")
    return AXE.read_text()
