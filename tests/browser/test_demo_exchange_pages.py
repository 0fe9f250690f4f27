"""The demo council's application page with the NHS trust's blue badge answer, in real Chromium: a free
permit, a charged one, and a check that could not be made (the gateway unreachable, asked live), each
checked with axe against WCAG 2.2 AA; then an application with a free permit, with and without JavaScript.

The sign-in itself is the identity journey's test (test_identity_journey.py): here the demo service's session
is made directly in its store, so only the pages of the exchange are under test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Page

from govhub.demo_service.app import create_app
from govhub.demo_service.exchange import Eligibility
from govhub.demo_service.keys import new_key
from govhub.demo_service.sessions import COOKIE, SessionStore, SignedInPerson
from govhub.demo_service.settings import DemoServiceSettings
from tests.browser.accessibility import checked_page
from tests.support.live_server import free_port, serve_in_thread

MESSAGE_ID = "6dac6700-c103-4477-88d1-de697ee0110e"
STATES = {
    "free": Eligibility(
        checked=True, badge_holder=True, eligible=True, reason="pip-mobility", message_id=MESSAGE_ID
    ),
    "charged": Eligibility(checked=True, reason="none", message_id=MESSAGE_ID),
    # Not checked: the page asks again, live, and the gateway (nothing listens there) cannot be reached.
    "unknown": Eligibility(checked=False, problem="first try failed"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    nowhere = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    key_file = tmp_path_factory.mktemp("demo-exchange") / "subsystem-key.json"
    key_file.write_text(json.dumps(new_key().as_dict(private=True)))
    settings = DemoServiceSettings(
        _env_file=None,
        issuer_url=nowhere,
        gateway_url=nowhere,
        public_url=f"http://127.0.0.1:{port}",
        private_jwk=json.dumps(new_key().as_dict(private=True)),
        subsystem_key_file=str(key_file),
    )
    app = create_app(settings)
    with serve_in_thread(app, port) as url:
        yield app, url


async def _signed_in(page: Page, demo: tuple[FastAPI, str], state: str) -> None:
    """A person signed in with a matched identity, the trust's answer `state` already in their session."""
    app, url = demo
    store: SessionStore = app.state.sessions
    session = store.new()
    session.person = SignedInPerson(
        sub="browser-test",
        sid=None,
        vot="Cl.Cm.P2",
        id_token="not-used",
        userinfo={"email": "citizen@example.org", "given_name": "Sam", "family_name": "Jones"},
        access_token="the-citizens-access-token",
    )
    session.eligibility = STATES[state]
    await page.context.add_cookies([{"name": COOKIE, "value": session.token, "url": url}])


async def _checked(page: Page, axe_source: str, artifacts: Path, name: str) -> None:
    screenshot = artifacts / f"demo-exchange-{name}.png"
    await checked_page(page, axe_source, screenshot, javascript=not name.startswith("nojs-"))


@pytest.mark.parametrize("state", list(STATES))
async def test_each_answer_is_explained_on_an_accessible_page(
    page: Page, demo: tuple[FastAPI, str], axe_source: str, artifacts_directory: Path, state: str
) -> None:
    await _signed_in(page, demo, state)
    await page.goto(f"{demo[1]}/apply")
    assert await page.locator("h1").inner_text() == "Your application"
    section = page.locator(f"[data-eligibility={state}]")
    await section.wait_for()
    text = await section.inner_text()
    if state == "free":
        assert "You qualify for a free permit: blue badge holder." in text
    elif state == "charged":
        assert "You do not qualify for a free permit" in text
    else:
        assert "could not reach the NHS trust" in text
        assert "You can still apply" in text
    if state != "unknown":
        assert MESSAGE_ID in await page.locator("main").inner_text()
    await _checked(page, axe_source, artifacts_directory, state)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
async def test_an_application_with_a_free_permit_says_so(
    page: Page,
    page_without_javascript: Page,
    demo: tuple[FastAPI, str],
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    tab = page if javascript else page_without_javascript
    await _signed_in(tab, demo, "free")
    await tab.goto(f"{demo[1]}/apply")
    await tab.get_by_label("Vehicle registration number").fill("AB12 CDE")
    await tab.get_by_label("Zone B: Riverside").check()
    await tab.get_by_role("button", name="Send application").click()
    await tab.wait_for_url(f"{demo[1]}/apply/done")
    assert "Your permit is free" in await tab.locator("main").inner_text()
    await _checked(tab, axe_source, artifacts_directory, "done" if javascript else "nojs-done")
