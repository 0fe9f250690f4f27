"""Proving an identity to P2: a signed-in person gives their names, date of birth and the registration
number of their birth; the births register (a personal register of `govhub.registries`) is read through
its service, as a named system with a purpose, so the read is checked and logged for the person like any
other; on a match the account is raised to P2 and the identity kept. Never commits.

Failed attempts are counted per account; after `MAX_FAILED_ATTEMPTS` in `ATTEMPT_WINDOW` proving stops
until the oldest of them is a day old, so the register cannot be searched by guessing. An attempt holds
its account's row from the count to the commit, so attempts sent at once are counted one after another.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.proving.models import ProvingAttempt, VerifiedIdentityRow
from govhub.identity.proving.repository import ProvingRepository
from govhub.kit.clock import utcnow
from govhub.kit.errors import ServiceUnavailable
from govhub.registries import (
    Caller,
    CallerUnknown,
    NotGranted,
    RecordNotFound,
    RegisterNotFound,
    RegistriesService,
)

#: The register identities are proved against, and the fields its records name people by.
BIRTHS_REGISTER = "birth"
GIVEN_NAME_FIELD = "given_name"
FAMILY_NAME_FIELD = "family_name"
BIRTH_DATE_FIELD = "date_of_birth"
#: The identity block as a member's subsystem: the register's owner grants it access to read births
#: (`govhub registry grant birth govhub/GOV/platform/identity-proving`).
PROVING_CLIENT = "govhub/GOV/platform/identity-proving"
PURPOSE = "Proving the account holder's identity (identity confidence P2)"
IDENTITY_LEVEL = "P2"

MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(days=1)


class ProvingUnavailable(ServiceUnavailable):
    slug = "identity-proving-unavailable"
    title = "Identity proving is not available"


@dataclass(frozen=True)
class VerifiedIdentity:
    """The identity an account proved (what B1 turns into identity claims)."""

    given_name: str
    family_name: str
    #: ISO 8601 (`1987-03-14`).
    birth_date: str
    register: str
    record_key: str
    verified_at: datetime


@dataclass(frozen=True)
class IdentityClaim:
    """What the person says about themselves."""

    given_name: str
    family_name: str
    birth_date: date
    record_key: str


class Outcome(enum.StrEnum):
    MATCHED = "matched"
    NOT_MATCHED = "not-matched"
    #: The details match a record that already proves another account.
    ALREADY_USED = "already-used"
    THROTTLED = "throttled"
    ALREADY_PROVED = "already-proved"


@dataclass(frozen=True)
class ProvingResult:
    outcome: Outcome
    verified: VerifiedIdentity | None = None
    #: Attempts left before proving is paused (after this one).
    attempts_left: int = 0
    #: When a paused account may try again.
    retry_after: datetime | None = None


#: Apostrophes (straight and curly), grave accents and full stops: `O'Brien`, `St. John`.
_DROPPED = re.compile("['`.\u2018\u2019]")
#: Hyphens and dashes of every kind separate parts of a name as a space does.
_SEPARATORS = re.compile("[-\u2010\u2011\u2013\u2014]")


def normalised_name(name: str) -> str:
    """A name as compared: accents, case, apostrophes, hyphens and runs of spaces do not count
    (`Zoë O'Brien-Smith` matches `ZOE OBRIEN SMITH`)."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = _DROPPED.sub("", letters.casefold())
    return " ".join(_SEPARATORS.sub(" ", letters).split())


def normalised_record_key(record_key: str) -> str:
    """Registration numbers are upper case without spaces: ` b000 001` is `B000001`."""
    return re.sub(r"\s+", "", record_key).upper()


def _as_verified(row: VerifiedIdentityRow) -> VerifiedIdentity:
    return VerifiedIdentity(
        given_name=row.given_name,
        family_name=row.family_name,
        birth_date=row.birth_date.isoformat(),
        register=row.register,
        record_key=row.record_key,
        verified_at=row.verified_at,
    )


async def verified_identity(db: AsyncSession, account_id: int) -> VerifiedIdentity | None:
    """The identity the account proved, or None while it has proved none."""
    row = await ProvingRepository(db).verified_identity(account_id)
    return None if row is None else _as_verified(row)


async def attempts_remaining(
    db: AsyncSession, account_id: int, *, now: datetime | None = None
) -> tuple[int, datetime | None]:
    """How many failed attempts the account has left today, and (when none) when it may try again."""
    now = now or utcnow()
    failed, oldest = await ProvingRepository(db).failed_attempts(account_id, now - ATTEMPT_WINDOW)
    left = max(MAX_FAILED_ATTEMPTS - failed, 0)
    return left, (oldest + ATTEMPT_WINDOW if left == 0 and oldest is not None else None)


def _matches(claim: IdentityClaim, record: dict[str, Any]) -> bool:
    try:
        born = date.fromisoformat(str(record.get(BIRTH_DATE_FIELD, "")))
    except ValueError:
        return False
    return (
        born == claim.birth_date
        and normalised_name(str(record.get(GIVEN_NAME_FIELD, ""))) == normalised_name(claim.given_name)
        and normalised_name(str(record.get(FAMILY_NAME_FIELD, ""))) == normalised_name(claim.family_name)
    )


async def _read_birth(registries: RegistriesService, record_key: str) -> dict[str, Any] | None:
    """The birth record with this key, read through the registries' chokepoint as the proving system;
    None when there is none. A register that is missing or not granted is the operator's to fix."""
    caller = Caller(PROVING_CLIENT, PURPOSE)
    try:
        _, versions = await registries.describe(BIRTHS_REGISTER)
        newest = versions[-1].version if versions else ""
        opened = await registries.open(BIRTHS_REGISTER, newest, caller)
        return await registries.read(opened, caller, {opened.version.key_field: record_key})
    except RecordNotFound:
        return None
    except (RegisterNotFound, NotGranted, CallerUnknown) as error:
        raise ProvingUnavailable(
            "Identity proving is not available at the moment: the births register cannot be read "
            f"({error.detail}). Try again later."
        ) from None


async def prove_identity(
    db: AsyncSession,
    settings: Settings,
    account_id: int,
    claim: IdentityClaim,
    *,
    now: datetime | None = None,
) -> ProvingResult:
    """Check `claim` against the births register; on a match keep the identity and raise the account to P2.

    Every outcome but `ProvingUnavailable` is an answer to commit: a failed attempt must be counted."""
    now = now or utcnow()
    repository = ProvingRepository(db)
    # One attempt at a time per account, from the count to the commit: concurrent attempts would otherwise
    # each see the same count and all be tried (the check, then the count, of issue 14's finding 9).
    await IdentityRepository(db).lock_account(account_id)
    existing = await repository.verified_identity(account_id)
    if existing is not None:
        return ProvingResult(Outcome.ALREADY_PROVED, _as_verified(existing))
    left, retry_after = await attempts_remaining(db, account_id, now=now)
    if left == 0:
        return ProvingResult(Outcome.THROTTLED, retry_after=retry_after)
    record_key = normalised_record_key(claim.record_key)
    registries = RegistriesService.for_session(db, settings)
    record = await _read_birth(registries, record_key) if record_key else None
    if record is None or not _matches(claim, record):
        return await _failed(repository, account_id, Outcome.NOT_MATCHED, left, now)
    row = await repository.add_verified_identity(
        VerifiedIdentityRow(
            account_id=account_id,
            register=BIRTHS_REGISTER,
            record_key=record_key,
            # As the register spells them: the authoritative names, not what was typed.
            given_name=str(record[GIVEN_NAME_FIELD]),
            family_name=str(record[FAMILY_NAME_FIELD]),
            birth_date=claim.birth_date,
            verified_at=now,
        )
    )
    if row is None:
        return await _not_kept(repository, account_id, left, now)
    await repository.add_attempt(ProvingAttempt(account_id=account_id, attempted_at=now, matched=True))
    account = await IdentityRepository(db).account_by_id(account_id)
    if account is not None:
        account.identity_level = IDENTITY_LEVEL
    return ProvingResult(Outcome.MATCHED, _as_verified(row), attempts_left=left)


async def _not_kept(
    repository: ProvingRepository, account_id: int, left: int, now: datetime
) -> ProvingResult:
    """The identity matched but was not kept: the record already proves another account, or a request
    racing this one proved this account first."""
    proved = await repository.verified_identity(account_id)
    if proved is not None:
        return ProvingResult(Outcome.ALREADY_PROVED, _as_verified(proved))
    return await _failed(repository, account_id, Outcome.ALREADY_USED, left, now)


async def _failed(
    repository: ProvingRepository, account_id: int, outcome: Outcome, left: int, now: datetime
) -> ProvingResult:
    await repository.add_attempt(ProvingAttempt(account_id=account_id, attempted_at=now, matched=False))
    remaining = left - 1
    return ProvingResult(
        outcome, attempts_left=remaining, retry_after=now + ATTEMPT_WINDOW if remaining == 0 else None
    )
