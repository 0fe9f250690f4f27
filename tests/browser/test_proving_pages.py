"""Proving an identity and seeing one's organisations in real Chromium, against a live server: signing in
through the account pages and coming back, the form with GOV.UK's date input, a mismatch named in the
error summary, a match that goes back where it was asked to, the proved identity, the organisations page;
each page checked with axe against WCAG 2.2 AA."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.organisations.service import NewOrganisation, OrganisationsService
from govhub.identity.proving.service import BIRTHS_REGISTER, PROVING_CLIENT
from govhub.registries import demo
from govhub.registries.service import RegistriesService
from tests.browser.accessibility import axe_violations

PASSWORD = "correct horse battery staple"
#: A record of the demo births register that no demo account proves.
BIRTH = {
    "given": "Jamie",
    "family": "Aldridge",
    "day": "12",
    "month": "3",
    "year": "1994",
    "number": "B000050",
}


@pytest.fixture
async def births_register(engine: AsyncEngine, settings: Settings) -> None:
    """The demo registers and the proving system's grant, committed, so the live server sees them."""
    async with session_factory(engine)() as session, session.begin():
        await demo.load(session, settings)
        await RegistriesService.for_session(session, settings).grant(BIRTHS_REGISTER, PROVING_CLIENT)


async def create_director(engine: AsyncEngine, settings: Settings) -> str:
    """A new account, director of a new company; its email address."""
    email = f"director-{uuid.uuid4().hex[:8]}@example.org"
    async with session_factory(engine)() as session, session.begin():
        accounts = IdentityService.for_session(session, settings)
        await accounts.create_account(NewAccount(email, PASSWORD, email_verified=True))
        organisations = OrganisationsService.for_session(session)
        number = f"BT{secrets.randbelow(10**6):06d}"
        await organisations.create_organisation(NewOrganisation("Borchester Tractors Ltd", number, "company"))
        await organisations.link(email, number, "director")
    return email


async def fill_in(page: Page, *, day: str) -> None:
    await page.get_by_label("Given name").fill(BIRTH["given"])
    await page.get_by_label("Family name").fill(BIRTH["family"])
    await page.get_by_label("Day").fill(day)
    await page.get_by_label("Month").fill(BIRTH["month"])
    await page.get_by_label("Year").fill(BIRTH["year"])
    await page.get_by_label("Birth registration number").fill(BIRTH["number"])
    await page.get_by_role("button", name="Check my details").click()


@pytest.mark.usefixtures("births_register")
async def test_a_person_proves_their_identity_and_sees_their_organisations(
    page: Page,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
) -> None:
    email = await create_director(engine, settings)
    await page.goto(live_server + "/account/organisations")
    # Not signed in yet: the sign-in page, which brings the person back.
    assert "/sign-in?" in page.url
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(live_server + "/account/organisations")
    assert await page.locator("h1").inner_text() == "Your organisations"
    assert "Borchester Tractors Ltd" in await page.locator("main").inner_text()
    await page.screenshot(path=artifacts_directory / "account-organisations.png", full_page=True)
    assert await axe_violations(page, axe_source) == []

    await page.goto(live_server + "/account/prove-identity?return_to=/account/organisations")
    assert await page.locator("h1").inner_text() == "Prove your identity"
    assert await page.get_by_label("Day").get_attribute("autocomplete") == "bday-day"
    await page.screenshot(path=artifacts_directory / "prove-identity.png", full_page=True)
    assert await axe_violations(page, axe_source) == []

    await fill_in(page, day="13")
    summary = page.locator(".govuk-error-summary")
    assert "We could not match these details to a birth registration" in await summary.inner_text()
    assert await page.get_by_label("Given name").input_value() == BIRTH["given"]  # kept to correct
    await page.screenshot(path=artifacts_directory / "prove-identity-mismatch.png", full_page=True)
    assert await axe_violations(page, axe_source) == []

    await page.get_by_label("Day").fill("")
    await page.get_by_role("button", name="Check my details").click()
    assert "Date of birth must include a day" in await summary.inner_text()
    assert await axe_violations(page, axe_source) == []

    await fill_in(page, day=BIRTH["day"])
    await page.wait_for_url(live_server + "/account/organisations")

    await page.goto(live_server + "/account/prove-identity")
    main = await page.locator("main").inner_text()
    assert "You have proved your identity" in main
    assert BIRTH["number"] in main
    await page.screenshot(path=artifacts_directory / "prove-identity-proved.png", full_page=True)
    assert await axe_violations(page, axe_source) == []
