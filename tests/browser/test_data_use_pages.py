""" "Who used your data" in real Chromium against a live server: a person who proved their identity signs
in, follows the account page's link, sees the exchanges about them and the reads of their birth record in
one list, pages to older ones, and opens an exchange's proof page. Every page is checked with axe against
WCAG 2.2 AA; the same journey runs without JavaScript."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.proving.service import (
    BIRTHS_REGISTER,
    PROVING_CLIENT,
    IdentityClaim,
    Outcome,
    prove_identity,
)
from govhub.kit.clock import utcnow
from govhub.ledger.service import LedgerService
from govhub.members.onboarding.service import ApplicationsService, Decider, NewApplication
from govhub.registries import demo
from govhub.registries.caller import Caller
from govhub.registries.demo import BIRTHS
from govhub.registries.service import RegistriesService
from tests.browser.accessibility import PageRun
from tests.browser.conftest import OpenPage
from tests.functional.exchange.support import exchange
from tests.support.exchange import record_exchange
from tests.support.oidc import ClientKeys

PASSWORD = "correct horse battery staple"
HEALTH = "GOVHUB-DEV/NHS/R1H/eligibility"
HEADING = "Who used your data"


@dataclass
class Story:
    email: str
    council: str
    #: The exchanges about the person, oldest first.
    message_ids: list[str]


async def _story(engine: AsyncEngine, settings: Settings) -> Story:
    """A person proved against a birth record of their own, 21 exchanges about them by a council, and an
    NHS trust's read of their birth record; committed, so the live server sees them."""
    tag = uuid.uuid4().hex[:8]
    email = f"data-use-{tag}@example.org"
    registration = f"B9{secrets.randbelow(10**5):05d}"
    code = f"D{secrets.randbelow(10**8):08d}"
    async with session_factory(engine)() as session, session.begin():
        await demo.load(session, settings)
        registries = RegistriesService.for_session(session, settings)
        await registries.grant(BIRTHS_REGISTER, PROVING_CLIENT)
        await registries.grant(BIRTHS_REGISTER, HEALTH)
        owner = Caller(f"{BIRTHS.owner}/registrar", "registering births")
        opened = await registries.open(BIRTHS.name, BIRTHS.version, owner, write=True)
        await registries.create(
            opened,
            {
                "registration": registration,
                "person_id": f"GH9{tag}",
                "given_name": "Ruth",
                "family_name": "Archer",
                "date_of_birth": "1990-06-01",
            },
        )
        account = await IdentityService.for_session(session, settings).create_account(
            NewAccount(email, PASSWORD, email_verified=True)
        )
        applications = ApplicationsService(session, settings.members_instance)
        application = await applications.submit(
            NewApplication(
                organisation_name="Borsetshire County Council",
                registration_number=code,
                member_class="GOV",
                contact_name="Alex Clerk",
                contact_email="alex@example.com",
                subsystem_code="parking",
                jwks=ClientKeys().jwks,
            )
        )
        await applications.approve(application.public_id, Decider("browser test"))
        council = f"{settings.members_instance}/GOV/{code}/parking"
        ledgers = LedgerService.for_session(session, settings)
        start = utcnow() - timedelta(days=1)
        made = [
            await record_exchange(
                session,
                ledgers,
                exchange(
                    user_id=account.public_id,
                    client_id=council,
                    started_at=start + timedelta(minutes=n),
                    purpose=f"Checking a parking permit ({n})",
                ),
            )
            for n in range(21)
        ]
        claim = IdentityClaim("Ruth", "Archer", date(1990, 6, 1), registration)
        assert (await prove_identity(session, settings, account.id, claim)).outcome is Outcome.MATCHED
        reader = Caller(HEALTH, "Assessing a blue badge")
        await registries.read(
            await registries.open(BIRTHS.name, BIRTHS.version, reader), reader, {"registration": registration}
        )
    return Story(email, council, [record.message_id for record in made])


async def _journey(page: Page, run: PageRun, story: Story) -> None:
    await page.goto(run.base_url + "/account")
    await page.get_by_label("Email address").fill(story.email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/account")
    await page.get_by_role("link", name="Who used your data").click()
    await page.wait_for_url("**/account/data-use")
    await run.checked(page, "list", HEADING)
    main = await page.locator("main").inner_text()
    # Newest first: the trust's read, proving's read, then the council's exchanges from the latest.
    positions = [
        main.index(text)
        for text in ("Assessing a blue badge", "Proving the account holder", "Checking a parking permit (20)")
    ]
    assert positions == sorted(positions)
    assert "Borsetshire County Council" in main
    assert "Births (synthetic)" in main
    assert "Checking a parking permit (0)" not in main

    await page.get_by_role("link", name="Older").click()
    await page.wait_for_url(re.compile(r".*/account/data-use\?before=.*"))
    await run.checked(page, "older", HEADING)
    main = await page.locator("main").inner_text()
    assert "Checking a parking permit (0)" in main
    assert "Assessing a blue badge" not in main

    await page.get_by_role("link", name=re.compile(r"^Verify")).last.click()
    await page.wait_for_url(f"**/account/data-use/{story.message_ids[0]}")
    await run.checked(page, "record", "An exchange about you")
    main = await page.locator("main").inner_text()
    assert "Checking a parking permit (0)" in main
    assert "Signed checkpoint" in main
    href = await page.get_by_role("link", name="JSON").get_attribute("href")
    assert href == f"/exchange/records/{story.message_ids[0]}/proof"
    assert (await page.request.get(run.base_url + href)).status == 200


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_person_sees_who_used_their_data_and_verifies_an_exchange(
    open_page: OpenPage,
    live_server: str,
    engine: AsyncEngine,
    settings: Settings,
    axe_source: str,
    artifacts_directory: Path,
    javascript: bool,
) -> None:
    story = await _story(engine, settings)
    page = await open_page(javascript=javascript)
    await _journey(page, PageRun(live_server, axe_source, artifacts_directory, javascript, "data-use"), story)
