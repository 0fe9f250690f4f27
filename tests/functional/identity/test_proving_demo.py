"""The demo's business representative and its citizen's proved identity: a real record of the demo births
register, matched through the proving service, loaded once however often the demo is."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity import demo
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.accounts.service import IdentityService
from govhub.identity.organisations.service import organisations_of
from govhub.identity.proving import demo as proving_demo
from govhub.identity.proving.service import verified_identity
from govhub.registries.demo import synthetic_births
from tests.support.identity import check_password
from tests.support.proving import create_births_register


def test_the_demo_people_are_in_the_demo_births_register() -> None:
    births = {birth["registration"]: birth for birth in synthetic_births()}
    for claim in (proving_demo.CITIZEN_BIRTH, proving_demo.NEWCOMER_BIRTH):
        birth = births[claim.record_key]
        assert (birth["given_name"], birth["family_name"]) == (claim.given_name, claim.family_name)
        assert birth["date_of_birth"] == claim.birth_date.isoformat()


async def test_the_demo_citizen_is_proved_and_the_representative_linked_once(
    session: AsyncSession, settings: Settings
) -> None:
    # As the registries' demo loads it, before the identity demo: the grant is the identity demo's to make.
    await create_births_register(session, settings, synthetic_births(), grant=False)

    first = await demo.load(session, settings)
    again = await demo.load(session, settings)

    assert "citizen@example.org proved against birth B000002" in first
    assert "Mei Grundy, born 2001-01-03, registration B000003" in first
    assert "business@example.org (same password) is director of Ambridge Organics Ltd (SC123456)" in first
    assert "citizen@example.org's identity already proved" in again
    accounts = IdentityRepository(session)
    citizen = await accounts.account_by_email("citizen@example.org")
    assert citizen is not None
    assert citizen.identity_level == "P2"
    verified = await verified_identity(session, citizen.id)
    assert verified is not None
    assert (verified.register, verified.record_key, verified.given_name) == ("birth", "B000002", "Freya")
    representative = await check_password(
        IdentityService.for_session(session, settings), "business@example.org", demo.DEMO_PASSWORD
    )
    assert representative is not None
    assert [(r.name, r.role) for r in await organisations_of(session, representative.id)] == [
        ("Ambridge Organics Ltd", "director")
    ]


async def test_without_a_births_register_the_demo_says_so(session: AsyncSession, settings: Settings) -> None:
    report = await demo.load(session, settings)
    assert "no births register: citizen@example.org's identity not proved" in report
