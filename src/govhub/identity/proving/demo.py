"""Demo data of business representatives and identity proving, loaded by `identity.demo`: the demo
citizen's P2 proved against a real record of the demo births register, a demo company with a director,
and the births register's grant to the proving system (as its owner would give it)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.organisations.models import Organisation
from govhub.identity.organisations.service import NewOrganisation, OrganisationsService
from govhub.identity.proving.service import (
    BIRTHS_REGISTER,
    PROVING_CLIENT,
    IdentityClaim,
    Outcome,
    prove_identity,
    verified_identity,
)
from govhub.registries import RegistriesService

#: Records of the demo births register (`registries.demo.synthetic_births`, fixed seed): the citizen's, and
#: one left for trying the proving page as the newcomer.
CITIZEN_BIRTH = IdentityClaim("Freya", "Sterling", date(1977, 6, 3), "B000002")
NEWCOMER_BIRTH = IdentityClaim("Mei", "Grundy", date(2001, 1, 3), "B000003")
COMPANY = NewOrganisation("Ambridge Organics Ltd", "SC123456", "company")
REPRESENTATIVE_EMAIL = "business@example.org"
REPRESENTATIVE_ROLE = "director"


async def load(session: AsyncSession, settings: Settings, *, password: str) -> str:
    """Adds what is missing (the representative's account with `password`); says what it did. Needs the
    demo citizen, and the births register for the proved identity (the registries' demo runs first)."""
    return "; ".join(
        [await _prove_citizen(session, settings), await _representative(session, settings, password)]
    )


async def _prove_citizen(session: AsyncSession, settings: Settings) -> str:
    citizen = await IdentityRepository(session).account_by_email("citizen@example.org")
    if citizen is None:
        return "no demo citizen to prove"
    if await verified_identity(session, citizen.id) is not None:
        return "citizen@example.org's identity already proved"
    registries = RegistriesService.for_session(session, settings)
    if await registries.repository.register(BIRTHS_REGISTER) is None:
        return "no births register: citizen@example.org's identity not proved (load the registries' demo)"
    await registries.grant(BIRTHS_REGISTER, PROVING_CLIENT)
    result = await prove_identity(session, settings, citizen.id, CITIZEN_BIRTH)
    if result.outcome is not Outcome.MATCHED:
        return f"citizen@example.org's identity not proved ({result.outcome})"
    newcomer = NEWCOMER_BIRTH
    return (
        f"citizen@example.org proved against birth {CITIZEN_BIRTH.record_key}; the newcomer can prove theirs "
        f"at /account/prove-identity as {newcomer.given_name} {newcomer.family_name}, born "
        f"{newcomer.birth_date.isoformat()}, registration {newcomer.record_key}"
    )


async def _representative(session: AsyncSession, settings: Settings, password: str) -> str:
    accounts = IdentityService.for_session(session, settings)
    if await accounts.repository.account_by_email(REPRESENTATIVE_EMAIL) is None:
        await accounts.create_account(NewAccount(REPRESENTATIVE_EMAIL, password, email_verified=True))
    organisations = OrganisationsService.for_session(session)
    company: Organisation | None = await organisations.repository.organisation_by_number(
        COMPANY.kind, COMPANY.registration_number
    )
    if company is None:
        company = await organisations.create_organisation(COMPANY)
    account = await accounts.repository.account_by_email(REPRESENTATIVE_EMAIL)
    if account is not None and await organisations.repository.representative(account.id, company.id) is None:
        await organisations.link(REPRESENTATIVE_EMAIL, company.public_id, REPRESENTATIVE_ROLE)
    return (
        f"{REPRESENTATIVE_EMAIL} (same password) is {REPRESENTATIVE_ROLE} of {company.name} "
        f"({company.registration_number})"
    )
