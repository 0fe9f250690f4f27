"""The public service catalogue page in real Chromium against a live server, with and without JavaScript:
a registered service listed with its provider and a working link to its OpenAPI document (the getOpenAPI
metaservice), checked with axe against WCAG 2.2 AA."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.members.onboarding.service import ApplicationsService, Decider, NewApplication
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from tests.browser.accessibility import axe_violations
from tests.browser.conftest import OpenPage
from tests.support.oidc import ClientKeys
from tests.support.outbound import public_guard

OPENAPI = Path(__file__).parents[1] / "support" / "openapi" / "blue_badge_eligibility.json"


async def _service(engine: AsyncEngine, settings: Settings) -> str:
    """Registers a service of a new member (committed); the member's name."""
    code = f"P{secrets.randbelow(10**8):08d}"
    name = f"Catalogue Organisation {code}"
    async with session_factory(engine)() as session, session.begin():
        applications = ApplicationsService(session, settings.members_instance)
        application = await applications.submit(
            NewApplication(
                organisation_name=name,
                registration_number=code,
                member_class="COM",
                contact_name="Alex Clerk",
                contact_email="alex@example.com",
                subsystem_code="badges",
                jwks=ClientKeys().jwks,
            )
        )
        await applications.approve(application.public_id, Decider("browser test"))
        await ServicesService(session).register(
            COMMAND_LINE_ACTOR,
            subsystem=f"{settings.members_instance}/COM/{code}/badges",
            service_code="eligibility",
            base_url="https://badges.example",
            openapi=json.loads(OPENAPI.read_text()),
            outbound=public_guard(),
        )
    return name


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_the_catalogue_lists_a_service_with_its_openapi_document(
    open_page: OpenPage,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    provider = await _service(engine, settings)
    page = await open_page(javascript=javascript)
    await page.goto(live_server + "/catalogue")
    assert await page.locator("h1").inner_text() == "Service catalogue"
    assert provider in await page.locator("main").inner_text()
    await page.screenshot(path=artifacts_directory / f"catalogue-{javascript}.png", full_page=True)
    if javascript:
        assert await axe_violations(page, axe_source) == []
    link = page.get_by_role("link", name="OpenAPI document for Blue Badge eligibility").first
    href = await link.get_attribute("href")
    assert href is not None
    # The link is built on the public URL; follow its path on the live server.
    parts = urlsplit(href)
    response = await page.goto(f"{live_server}{parts.path}?{parts.query}")
    assert response is not None
    assert response.status == 200
    # getOpenAPI answers the document as a JSON string (the spec's schema is `string`).
    assert json.loads(await response.json())["info"]["title"] == "Blue Badge eligibility"
