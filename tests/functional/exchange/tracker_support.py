"""Shared by the data tracker's tests: a person who proved their identity against the births register, and
reads of their birth record by members, logged as the registries log every read of a personal record."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.proving.service import IdentityClaim, Outcome, prove_identity
from govhub.registries.caller import Caller
from govhub.registries.demo import BIRTHS
from govhub.registries.service import RegistriesService
from tests.support.proving import create_births_register

#: Matches the first of `tests.support.proving.PEOPLE`; the second is somebody else.
ZOE = IdentityClaim("Zoë", "O'Brien-Archer", date(1987, 3, 14), "B100001")
TOMASZ = IdentityClaim("Tomasz", "Grundy", date(1962, 11, 2), "B100002")
HEALTH = "GOVHUB-DEV/NHS/R1H/eligibility"


async def prove(
    session: AsyncSession, settings: Settings, account_id: int, claim: IdentityClaim = ZOE
) -> None:
    """Raise the account to P2 against the births register (made on first use), logging proving's read."""
    if await RegistriesService.for_session(session, settings).repository.register(BIRTHS.name) is None:
        await create_births_register(session, settings)
    result = await prove_identity(session, settings, account_id, claim)
    assert result.outcome is Outcome.MATCHED, result


async def read_birth(
    session: AsyncSession,
    settings: Settings,
    purpose: str,
    *,
    client: str = HEALTH,
    registration: str = "B100001",
) -> None:
    """`client` reads a birth record through the registries service, as the data API does."""
    registries = RegistriesService.for_session(session, settings)
    register = await registries.repository.register(BIRTHS.name)
    assert register is not None
    if not await registries.repository.has_grant(register.id, client):
        await registries.grant(BIRTHS.name, client)
    caller = Caller(client, purpose)
    opened = await registries.open(BIRTHS.name, BIRTHS.version, caller)
    content = await registries.read(opened, caller, {BIRTHS.key_field: registration})
    assert content["registration"] == registration
