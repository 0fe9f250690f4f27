"""Business representatives: organisations, and the accounts that act for them in a role. Operators make
both (`govhub identity organisation create`, `govhub identity user link`); services learn them through the
`business` scope as the `organisations` claim (`organisations_of`). Never commits."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import Account
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.organisations.models import (
    ORGANISATION_KINDS,
    REPRESENTATIVE_ROLES,
    Organisation,
    Representative,
)
from govhub.identity.organisations.repository import OrganisationsRepository
from govhub.kit.clock import utcnow
from govhub.kit.errors import Conflict, FieldError, GovhubError, NotFound

#: Companies House numbers (`01234567`, `SC123456`), charity numbers (`1234567`, `SC012345`) and the like.
_REGISTRATION_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


class InvalidOrganisation(GovhubError):
    status = 422
    slug = "invalid-organisation"
    title = "Invalid organisation details"


class OrganisationExists(Conflict):
    slug = "organisation-exists"
    title = "The organisation is already registered"


class OrganisationNotFound(NotFound):
    slug = "organisation-not-found"
    title = "No such organisation"


class AccountNotFound(NotFound):
    slug = "account-not-found"
    title = "No such account"


class RepresentativeExists(Conflict):
    slug = "representative-exists"
    title = "Already a representative"


class RepresentativeNotFound(NotFound):
    slug = "representative-not-found"
    title = "Not a representative"


@dataclass(frozen=True)
class NewOrganisation:
    name: str
    registration_number: str
    kind: str


@dataclass(frozen=True)
class Representation:
    """One organisation an account acts for, as services see it (the `organisations` claim)."""

    organisation_id: str
    name: str
    registration_number: str
    kind: str
    role: str

    def as_claim(self) -> dict[str, str]:
        return {
            "id": self.organisation_id,
            "name": self.name,
            "registration_number": self.registration_number,
            "kind": self.kind,
            "role": self.role,
        }


class OrganisationKey(Protocol):
    """What the representative methods need of an organisation: its key (a row, or a summary)."""

    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class OrganisationSummary:
    """What another block may know of an organisation (members: a member is one): no row of ours."""

    id: int
    public_id: str
    name: str
    kind: str
    registration_number: str

    @classmethod
    def of(cls, organisation: Organisation) -> OrganisationSummary:
        return cls(
            organisation.id,
            organisation.public_id,
            organisation.name,
            organisation.kind,
            organisation.registration_number,
        )


@dataclass(frozen=True)
class OrganisationWithRepresentatives:
    organisation: Organisation
    #: (email, role), by email.
    representatives: list[tuple[str, str]]


def normalised_registration_number(number: str) -> str:
    """Upper case without spaces: `sc 123456` and `SC123456` are one number."""
    return re.sub(r"\s+", "", number).upper()


async def organisations_of(db: AsyncSession, account_id: int) -> list[Representation]:
    """The organisations the account acts for and its role in each, by name (the `business` scope)."""
    return [
        Representation(
            organisation_id=organisation.public_id,
            name=organisation.name,
            registration_number=organisation.registration_number,
            kind=organisation.kind,
            role=representative.role,
        )
        for organisation, representative in await OrganisationsRepository(db).representations(account_id)
    ]


async def organisation_public_ids(db: AsyncSession, organisation_ids: Iterable[int]) -> dict[int, str]:
    """The public id of each of these organisations, by key: how other blocks name an organisation they
    refer to by its key (a member is an organisation)."""
    return await OrganisationsRepository(db).public_ids_of(organisation_ids)


async def organisation_ids(db: AsyncSession, public_ids: Iterable[str]) -> list[int]:
    """The keys of the organisations with these public ids (those that exist)."""
    return await OrganisationsRepository(db).ids_of(public_ids)


class OrganisationsService:
    def __init__(self, repository: OrganisationsRepository, accounts: IdentityRepository) -> None:
        self.repository = repository
        self.accounts = accounts

    @classmethod
    def for_session(cls, session: AsyncSession) -> OrganisationsService:
        return cls(OrganisationsRepository(session), IdentityRepository(session))

    async def create_organisation(self, new: NewOrganisation) -> Organisation:
        name = unicodedata.normalize("NFC", " ".join(new.name.split()))
        number = normalised_registration_number(new.registration_number)
        errors = []
        if not name or len(name) > 200 or not name.isprintable():
            errors.append(
                FieldError("body", "/name", "enter the organisation's name, at most 200 characters")
            )
        if not _REGISTRATION_NUMBER.match(number):
            errors.append(
                FieldError(
                    "body",
                    "/registrationNumber",
                    "enter the registration number (such as a company or charity number): letters, digits "
                    "and hyphens, at most 40",
                )
            )
        if new.kind not in ORGANISATION_KINDS:
            kinds = ", ".join(ORGANISATION_KINDS)
            errors.append(FieldError("body", "/kind", f"the kind of organisation is one of {kinds}"))
        if errors:
            detail = "; ".join(error.detail for error in errors)
            raise InvalidOrganisation(detail[0].upper() + detail[1:] + ".", field_errors=errors)
        existing = await self.repository.organisation_by_number(new.kind, number)
        if existing is not None:
            raise OrganisationExists(
                f"A {new.kind} with registration number {number} is already registered: {existing.name} "
                f"({existing.public_id})."
            )
        return await self.repository.add_organisation(
            Organisation(
                public_id=str(uuid.uuid4()),
                name=name,
                registration_number=number,
                kind=new.kind,
                created_at=utcnow(),
            )
        )

    async def organisations(self) -> list[OrganisationWithRepresentatives]:
        organisations = await self.repository.organisations()
        representatives: dict[int, list[tuple[str, str]]] = {o.id: [] for o in organisations}
        for organisation_id, email, role in await self.repository.representatives(list(representatives)):
            representatives[organisation_id].append((email, role))
        return [OrganisationWithRepresentatives(o, representatives[o.id]) for o in organisations]

    async def register(self, new: NewOrganisation) -> OrganisationSummary:
        """`create_organisation`, answered as another block may see it."""
        return OrganisationSummary.of(await self.create_organisation(new))

    async def by_id(self, organisation_id: int) -> OrganisationSummary | None:
        found = await self.repository.organisation_by_id(organisation_id)
        return None if found is None else OrganisationSummary.of(found)

    async def by_number(self, kind: str, registration_number: str) -> OrganisationSummary | None:
        """The organisation of that kind registered under that number (as `create_organisation` keeps it)."""
        found = await self.repository.organisation_by_number(kind, registration_number)
        return None if found is None else OrganisationSummary.of(found)

    async def role_of(self, account_id: int, organisation: OrganisationKey) -> str | None:
        """The role in which the account acts for the organisation, if it does."""
        link = await self.repository.representative(account_id, organisation.id)
        return None if link is None else link.role

    async def email_of(self, account_id: int) -> str | None:
        """A representative's (or applicant's) email address, for the pages that show who acts for whom."""
        account = await self.accounts.account_by_id(account_id)
        return None if account is None else account.email

    async def find(self, reference: str) -> Organisation:
        """The organisation with this public id, or this registration number when only one kind of
        organisation holds it."""
        reference = reference.strip()
        if "\x00" not in reference:
            found = await self.repository.organisation_by_public_id(reference.lower())
            if found is not None:
                return found
            holders = await self.repository.organisations_by_number(normalised_registration_number(reference))
            if len(holders) == 1:
                return holders[0]
            if holders:
                listed = ", ".join(f"{o.name} ({o.kind}, {o.public_id})" for o in holders)
                raise OrganisationNotFound(
                    f"More than one organisation has registration number {reference!r}: {listed}. "
                    "Name it by its id."
                )
        raise OrganisationNotFound(
            f"There is no organisation with id or registration number {reference[:60]!r}."
        )

    async def _account(self, email: str) -> Account:
        address = email.strip().lower()
        account = None if "\x00" in address else await self.accounts.account_by_email(address)
        if account is None:
            raise AccountNotFound(f"There is no account for {address[:254]}.")
        return account

    async def link(
        self, email: str, reference: str, role: str
    ) -> tuple[Account, Organisation, Representative]:
        """Make the account a representative of the organisation, in `role`."""
        if role not in REPRESENTATIVE_ROLES:
            roles = ", ".join(REPRESENTATIVE_ROLES)
            raise InvalidOrganisation(
                f"The role is one of {roles}, not {role[:40]!r}.",
                field_errors=[FieldError("body", "/role", f"the role is one of {roles}")],
            )
        account = await self._account(email)
        organisation = await self.find(reference)
        existing = await self.repository.representative(account.id, organisation.id)
        if existing is not None:
            raise RepresentativeExists(
                f"{account.email} already acts for {organisation.name} as {existing.role}; unlink first to "
                "change the role."
            )
        representative = await self.repository.add_representative(
            Representative(
                account_id=account.id, organisation_id=organisation.id, role=role, created_at=utcnow()
            )
        )
        return account, organisation, representative

    async def representatives_of(self, organisation: OrganisationKey) -> list[tuple[str, str]]:
        """(email, role) of everyone who acts for the organisation, by email."""
        return [(email, role) for _, email, role in await self.repository.representatives([organisation.id])]

    async def represent(self, account_id: int, organisation: OrganisationKey, role: str) -> Representative:
        """Makes the account a representative of the organisation in `role`, or changes its role to it."""
        existing = await self.repository.representative(account_id, organisation.id)
        if existing is not None:
            existing.role = role
            return existing
        return await self.repository.add_representative(
            Representative(
                account_id=account_id, organisation_id=organisation.id, role=role, created_at=utcnow()
            )
        )

    async def unlink(self, email: str, reference: str) -> tuple[Account, Organisation]:
        account = await self._account(email)
        organisation = await self.find(reference)
        if not await self.repository.remove_representative(account.id, organisation.id):
            raise RepresentativeNotFound(f"{account.email} does not act for {organisation.name}.")
        return account, organisation
