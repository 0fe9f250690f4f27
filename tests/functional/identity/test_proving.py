"""Proving an identity to P2 against the births register, on the backend under test: a match raises the
account and keeps the identity; a wrong name, date or record changes nothing but is counted, and too many
are throttled; the register's read is checked and logged like any other."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.proving.service import (
    MAX_FAILED_ATTEMPTS,
    PROVING_CLIENT,
    PURPOSE,
    IdentityClaim,
    Outcome,
    ProvingUnavailable,
    prove_identity,
    verified_identity,
)
from govhub.kit.clock import utcnow
from govhub.registries.models import PersonalDataUse
from tests.support.proving import create_births_register

PASSWORD = "correct horse battery staple"
ZOE = IdentityClaim("zoe", "O\u2019BRIEN ARCHER", date(1987, 3, 14), " b100001 ")


async def create_account(
    session: AsyncSession, settings: Settings, email: str = "zoe@example.org"
) -> Account:
    return await IdentityService.for_session(session, settings).create_account(NewAccount(email, PASSWORD))


async def test_a_matching_person_is_raised_to_p2_and_their_identity_kept(
    session: AsyncSession, settings: Settings
) -> None:
    await create_births_register(session, settings)
    account = await create_account(session, settings)
    assert await verified_identity(session, account.id) is None

    result = await prove_identity(session, settings, account.id, ZOE)

    assert result.outcome is Outcome.MATCHED
    assert account.identity_level == "P2"
    verified = await verified_identity(session, account.id)
    assert verified is not None
    assert verified == result.verified
    # The register's spelling, not what was typed.
    assert (verified.given_name, verified.family_name, verified.birth_date) == (
        "Zoë",
        "O'Brien-Archer",
        "1987-03-14",
    )
    assert (verified.register, verified.record_key) == ("birth", "B100001")
    # The register read is logged for the person it is about, with who read it and why.
    uses = list(
        await session.scalars(select(PersonalDataUse).where(PersonalDataUse.subject_id == "GH100000001"))
    )
    assert [(use.reader, use.purpose, use.record_key) for use in uses] == [
        (PROVING_CLIENT, PURPOSE, "B100001")
    ]

    again = await prove_identity(session, settings, account.id, ZOE)
    assert again.outcome is Outcome.ALREADY_PROVED


@pytest.mark.parametrize(
    "claim",
    [
        IdentityClaim("Zoey", "O'Brien-Archer", date(1987, 3, 14), "B100001"),
        IdentityClaim("Zoë", "Archer", date(1987, 3, 14), "B100001"),
        IdentityClaim("Zoë", "O'Brien-Archer", date(1987, 3, 15), "B100001"),
        IdentityClaim("Zoë", "O'Brien-Archer", date(1987, 3, 14), "B100002"),
        IdentityClaim("Zoë", "O'Brien-Archer", date(1987, 3, 14), "B999999"),
        IdentityClaim("Zoë", "O'Brien-Archer", date(1987, 3, 14), "\x00"),
    ],
    ids=["given name", "family name", "date of birth", "someone else's record", "unknown record", "NUL"],
)
async def test_details_that_do_not_match_change_nothing(
    session: AsyncSession, settings: Settings, claim: IdentityClaim
) -> None:
    await create_births_register(session, settings)
    account = await create_account(session, settings)

    result = await prove_identity(session, settings, account.id, claim)

    assert result.outcome is Outcome.NOT_MATCHED
    assert result.attempts_left == MAX_FAILED_ATTEMPTS - 1
    assert result.verified is None
    assert account.identity_level == "P0"
    assert await verified_identity(session, account.id) is None


async def test_failed_attempts_are_throttled_for_a_day(session: AsyncSession, settings: Settings) -> None:
    await create_births_register(session, settings)
    account = await create_account(session, settings)
    wrong = IdentityClaim("Zoë", "O'Brien-Archer", date(1987, 3, 15), "B100001")
    start = utcnow()
    lefts = [
        (
            await prove_identity(session, settings, account.id, wrong, now=start + timedelta(minutes=n))
        ).attempts_left
        for n in range(MAX_FAILED_ATTEMPTS)
    ]
    assert lefts == list(range(MAX_FAILED_ATTEMPTS - 1, -1, -1))

    # Now even the right details are not checked until the first failure is a day old.
    paused = await prove_identity(session, settings, account.id, ZOE, now=start + timedelta(hours=23))
    assert paused.outcome is Outcome.THROTTLED
    assert paused.retry_after == start + timedelta(days=1)
    assert account.identity_level == "P0"
    later = await prove_identity(session, settings, account.id, ZOE, now=start + timedelta(days=1, seconds=1))
    assert later.outcome is Outcome.MATCHED


async def test_one_birth_proves_one_account(session: AsyncSession, settings: Settings) -> None:
    await create_births_register(session, settings)
    first = await create_account(session, settings)
    second = await create_account(session, settings, "impostor@example.org")
    assert (await prove_identity(session, settings, first.id, ZOE)).outcome is Outcome.MATCHED

    taken = await prove_identity(session, settings, second.id, ZOE)

    assert taken.outcome is Outcome.ALREADY_USED
    assert second.identity_level == "P0"
    assert await verified_identity(session, second.id) is None


async def test_a_register_the_proving_system_may_not_read_is_the_operators_to_fix(
    session: AsyncSession, settings: Settings
) -> None:
    account = await create_account(session, settings)
    with pytest.raises(ProvingUnavailable, match="There is no register called 'birth'"):
        await prove_identity(session, settings, account.id, ZOE)
    await create_births_register(session, settings, grant=False)
    with pytest.raises(ProvingUnavailable, match="has not been granted access") as raised:
        await prove_identity(session, settings, account.id, ZOE)
    assert raised.value.status == 503
