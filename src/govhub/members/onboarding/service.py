"""Onboarding: an organisation applies (its details, a contact, its first subsystem and that subsystem's
public keys); a platform administrator approves or rejects the application with a reason.

Approval is one unit of work, all or nothing: it makes the member (of the identity organisation with that
kind and registration number, made now if there is none), the subsystem, and the subsystem's OAuth client
at the identity provider (`private_key_jwt` with the application's keys, the `client_credentials` grant,
the exchange scope), and makes the applicant a director of the organisation it made, so a member
administrator. If any step is refused, nothing is kept.

A registration number proves nothing about who typed it. When the organisation is already registered and
the applicant does not already direct it, approval makes nothing and links no one: the application waits
(`CONFIRMING`) for one of the organisation's directors to confirm that the applicant acts for it, and only
that confirmation makes the member and the applicant a director (`confirmations`). Never commits."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity import (
    NewOrganisation,
    OrganisationsService,
    OrganisationSummary,
    email_problem,
    normalised_email,
    normalised_registration_number,
)
from govhub.identity.oidc import PRIVATE_KEY_JWT, ClientRegistration, register_client
from govhub.kit.clock import utcnow
from govhub.kit.constraints import violated_constraint
from govhub.kit.errors import FieldError
from govhub.members.errors import (
    ApplicationDecided,
    ApplicationNotFound,
    InvalidApplication,
    InvalidDecision,
    MemberExists,
    NoDirectorToConfirm,
    TooManyApplications,
)
from govhub.members.membership.keys import public_jwks_problems
from govhub.members.models import (
    ACTIVE,
    APPROVED,
    CONFIRMING,
    PENDING,
    REJECTED,
    Application,
    Member,
    Subsystem,
)
from govhub.members.repository import PLATFORM, MembersRepository
from govhub.members.xroad_ids import (
    MAX_MEMBER_CODE,
    MAX_SUBSYSTEM_CODE,
    class_problem,
    part_problem,
)

#: The scope a subsystem's tokens carry for the data exchange.
EXCHANGE_SCOPE = "govhub:exchange"
#: The identity organisation kinds each member class may be; the first is the default.
CLASS_KINDS: dict[str, tuple[str, ...]] = {
    "GOV": ("public-body",),
    "NHS": ("public-body",),
    "COM": ("company",),
    "ORG": ("charity", "social-enterprise"),
}
#: The representative role that administers a member. Identity's roles are director, employee and agent:
#: the people who run an organisation run its membership; the applicant is made one on approval.
MEMBER_ADMIN_ROLE = "director"
MAX_PENDING_PER_APPLICANT = 5
MAX_REASON = 2000
#: The same rule as identity's organisations: letters, digits and hyphens, at most 40.
_REGISTRATION_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class NewApplication:
    organisation_name: str
    registration_number: str
    member_class: str
    contact_name: str
    contact_email: str
    subsystem_code: str
    jwks: Any
    #: One of `CLASS_KINDS[member_class]`; the class's first when left out.
    organisation_kind: str | None = None
    #: The member code asked for; the registration number when left out.
    member_code: str | None = None
    applicant_account_id: int | None = None


@dataclass(frozen=True)
class ExistingOrganisation:
    """The registered organisation an application names, and who acts for it: what the platform's
    administrators see before they decide."""

    organisation: OrganisationSummary
    #: (email, role), by email.
    representatives: list[tuple[str, str]]
    #: Whether the applicant is already one of its directors (then approval needs no confirmation).
    applicant_directs: bool

    @property
    def directors(self) -> list[str]:
        return [email for email, role in self.representatives if role == MEMBER_ADMIN_ROLE]


@dataclass(frozen=True)
class Decider:
    """Who decides, as the record keeps it: a person's email address, `client <id>`, `command line`."""

    label: str


COMMAND_LINE = Decider("command line")


def _clean_text(value: str) -> str:
    return unicodedata.normalize("NFC", " ".join(value.split()))


def _text_or_refuse(text: str, name: str) -> str:
    if len(text) > MAX_REASON or not all(c.isprintable() or c in "\r\n\t" for c in text):
        detail = f"The {name} is text of at most {MAX_REASON} characters."
        raise InvalidDecision(detail, field_errors=[FieldError("body", f"/{name}", detail)])
    return text


def reason_or_refuse(reason: str | None, what: str) -> str:
    """A reason fit to keep: 1 to 2000 characters of text (line breaks allowed)."""
    cleaned = (reason or "").strip()
    if not cleaned:
        detail = f"Give the reason for the {what}: it is kept, and shown to the organisation."
        raise InvalidDecision(detail, field_errors=[FieldError("body", "/reason", detail)])
    return _text_or_refuse(cleaned, "reason")


def valid_reference(public_id: str) -> str:
    """The application reference if it has the shape of one (checked before it reaches a query)."""
    reference = public_id.strip().lower()
    if not _UUID.fullmatch(reference):
        raise ApplicationNotFound(f"There is no application {public_id[:60]!r}: a reference is a UUID.")
    return reference


class ApplicationsService:
    def __init__(
        self, session: AsyncSession, instance: str, classes: Mapping[str, tuple[str, ...]] = CLASS_KINDS
    ) -> None:
        """Applications to be members of `instance`, whose member classes (each with the organisation kinds
        its members are) are `classes`: govhub's own instance's unless told (`membership.instances`)."""
        self.session = session
        self.repository = MembersRepository(session)
        self.organisations = OrganisationsService.for_session(session)
        self.instance = instance
        self.classes = classes

    # --- applying ---------------------------------------------------------------------------------------

    def validated(self, new: NewApplication) -> Application:
        """The application as it would be kept, or `InvalidApplication` naming every wrong field."""
        errors: list[FieldError] = []

        def wrong(name: str, detail: str) -> None:
            errors.append(FieldError("body", f"/{name}", detail))

        name = _clean_text(new.organisation_name)
        if not name or len(name) > 200 or not name.isprintable():
            wrong("organisationName", "enter the organisation's name, at most 200 characters")
        number = normalised_registration_number(new.registration_number)
        if not _REGISTRATION_NUMBER.fullmatch(number):
            wrong(
                "registrationNumber",
                "enter the registration number (a company, charity or public body's number): letters, "
                "digits and hyphens, at most 40",
            )
        kind = new.organisation_kind
        if (problem := class_problem(new.member_class, self.classes)) is not None:
            wrong("memberClass", problem)
        else:
            kinds = self.classes[new.member_class]
            kind = kind or kinds[0]
            if kind not in kinds:
                wrong("organisationKind", f"a {new.member_class} member is a {' or a '.join(kinds)}")
        asked = (new.member_code or "").strip()
        code = asked or number
        # Without a code of its own, a wrong registration number is the one thing to fix.
        if (asked or _REGISTRATION_NUMBER.fullmatch(number)) and (
            problem := part_problem(code, "member code", MAX_MEMBER_CODE)
        ) is not None:
            wrong("memberCode", problem)
        contact = _clean_text(new.contact_name)
        if not contact or len(contact) > 200 or not contact.isprintable():
            wrong("contactName", "enter the contact's name, at most 200 characters")
        email = normalised_email(new.contact_email)
        if (problem := email_problem(email)) is not None:
            wrong("contactEmail", problem.replace("your email address", "the contact's email address"))
        subsystem = new.subsystem_code.strip()
        if not subsystem:
            wrong("subsystemCode", "enter the subsystem code, such as parking")
        elif (problem := part_problem(subsystem, "subsystem code", MAX_SUBSYSTEM_CODE)) is not None:
            wrong("subsystemCode", problem)
        for problem in public_jwks_problems(new.jwks):
            wrong("jwks", problem)
        if errors:
            detail = "; ".join(error.detail for error in errors)
            raise InvalidApplication(detail[0].upper() + detail[1:] + ".", field_errors=errors)
        return Application(
            public_id=str(uuid.uuid4()),
            organisation_name=name,
            registration_number=number,
            member_class=new.member_class,
            organisation_kind=kind,
            instance=self.instance,
            member_code=code,
            contact_name=contact,
            contact_email=email,
            subsystem_code=subsystem,
            jwks=new.jwks,
            applicant_account_id=new.applicant_account_id,
            status=PENDING,
            submitted_at=utcnow(),
        )

    async def submit(self, new: NewApplication) -> Application:
        application = self.validated(new)
        member_id = application.proposed_member_id
        if await self.repository.member(PLATFORM, member_id) is not None:
            raise MemberExists(
                f"{member_id} is already a member: choose another member code, or ask the platform's "
                "administrators to add a subsystem.",
                field_errors=[FieldError("body", "/memberCode", f"{member_id} is already a member")],
            )
        await self._refuse_existing_member(application)
        if new.applicant_account_id is not None and (
            await self.repository.pending_count_of_account(new.applicant_account_id)
            >= MAX_PENDING_PER_APPLICANT
        ):
            raise TooManyApplications(
                f"You have {MAX_PENDING_PER_APPLICANT} applications waiting for a decision; wait for them "
                "to be decided before applying again."
            )
        return await self.repository.add(application)

    async def _existing_organisation(self, application: Application) -> OrganisationSummary | None:
        return await self.organisations.by_number(
            application.organisation_kind, application.registration_number
        )

    async def existing_organisation(self, application: Application) -> ExistingOrganisation | None:
        """The organisation already registered under the application's kind and number (the one it waits
        on, once it does), if any, with its representatives; for the administrators' page."""
        organisation = (
            await self._existing_organisation(application)
            if application.organisation_id is None
            else await self.organisations.by_id(application.organisation_id)
        )
        if organisation is None:
            return None
        representatives = await self.organisations.representatives_of(organisation)
        return ExistingOrganisation(
            organisation, representatives, await self._applicant_directs(application, organisation)
        )

    async def organisation_public_id(self, application: Application) -> str | None:
        """The public id of the organisation the application waits on, if any."""
        if application.organisation_id is None:
            return None
        organisation = await self.organisations.by_id(application.organisation_id)
        return None if organisation is None else organisation.public_id

    async def _applicant_directs(self, application: Application, organisation: OrganisationSummary) -> bool:
        if application.applicant_account_id is None:
            return False
        role = await self.organisations.role_of(application.applicant_account_id, organisation)
        return role == MEMBER_ADMIN_ROLE

    async def _refuse_existing_member(self, application: Application) -> None:
        organisation = await self._existing_organisation(application)
        if organisation is None:
            return
        member = await self.repository.member_of_organisation(organisation.id)
        if member is not None:
            raise MemberExists(
                f"{organisation.name} ({application.organisation_kind} {application.registration_number}) "
                f"is already a member, as {member.member_id}."
            )

    # --- reading ----------------------------------------------------------------------------------------

    async def application(self, public_id: str, *, for_update: bool = False) -> Application:
        found = await self.repository.application(valid_reference(public_id), for_update=for_update)
        if found is None:
            raise ApplicationNotFound(f"There is no application {public_id[:60]!r}.")
        return found

    async def applications(self, status: str | None = None, limit: int = 500) -> list[Application]:
        return await self.repository.applications(status, limit)

    async def applications_of(self, account_id: int) -> list[Application]:
        """The applications a signed-in person sent, newest first."""
        return await self.repository.applications_of_account(account_id)

    async def pending_count(self) -> int:
        return await self.repository.pending_count()

    # --- deciding ---------------------------------------------------------------------------------------

    async def _pending(self, public_id: str) -> Application:
        # Locked: two administrators deciding at once decide once.
        application = await self.application(public_id, for_update=True)
        if application.status != PENDING:
            raise ApplicationDecided(
                f"Application {application.public_id} was {application.status} by {application.decided_by} "
                f"on {application.decided_at:%-d %B %Y at %H:%M UTC}."
            )
        return application

    async def approve(self, public_id: str, by: Decider, note: str | None = None) -> Application:
        """Approves the application: `APPROVED` with its member made, or `CONFIRMING` when it names an
        organisation already registered that the applicant does not direct (nothing made yet)."""
        kept_note = _text_or_refuse(note.strip(), "note") if note and note.strip() else None
        application = await self._pending(public_id)
        member_id = application.proposed_member_id
        if await self.repository.member(PLATFORM, member_id) is not None:
            raise MemberExists(f"{member_id} is already a member: reject this application, with the reason.")
        await self._refuse_existing_member(application)
        existing = await self.existing_organisation(application)
        if existing is None:
            organisation = await self.organisations.register(
                NewOrganisation(
                    application.organisation_name,
                    application.registration_number,
                    application.organisation_kind,
                )
            )
            await self.make_member(application, organisation, link_applicant=True)
        elif existing.applicant_directs or application.applicant_account_id is None:
            # The applicant runs it already, or an operator applied for it (admin API, command line).
            await self.make_member(application, existing.organisation, link_applicant=False)
        else:
            await self._ask_for_confirmation(application, existing)
        application.decided_by = by.label
        application.decided_at = utcnow()
        application.reason = kept_note
        await self.session.flush()
        return application

    async def _ask_for_confirmation(self, application: Application, existing: ExistingOrganisation) -> None:
        organisation = existing.organisation
        if not existing.directors:
            raise NoDirectorToConfirm(
                f"{organisation.name} ({organisation.kind} {organisation.registration_number}) is already "
                "registered and has no director who could confirm that the applicant acts for it. Link one "
                "first (`govhub identity user link EMAIL ORGANISATION director`), or reject this application."
            )
        application.status = CONFIRMING
        application.organisation_id = organisation.id

    async def make_member(
        self, application: Application, organisation: OrganisationSummary, *, link_applicant: bool
    ) -> Member:
        """The member, its first subsystem and the subsystem's OAuth client, for an application about to be
        `APPROVED`; with `link_applicant`, the applicant becomes a director of the organisation."""
        member_id = application.proposed_member_id
        now = utcnow()
        member = Member(
            instance=member_id.instance,
            member_class=member_id.member_class,
            member_code=member_id.member_code,
            name=organisation.name,
            organisation_id=organisation.id,
            status=ACTIVE,
            suspended_at=None,
            suspension_reason=None,
            created_at=now,
        )
        subsystem_id = member_id.subsystem(application.subsystem_code)
        try:
            await self.repository.add(member)
            subsystem = await self.repository.add(
                Subsystem(
                    member_id=member.id,
                    subsystem_code=application.subsystem_code,
                    client_id=subsystem_id.client_id,
                    status=ACTIVE,
                    created_at=now,
                )
            )
        except IntegrityError as error:
            # Another approval of the same member won the race; this unit of work is rolled back.
            raise MemberExists(
                f"{member_id} became a member meanwhile ({violated_constraint(error)})."
            ) from None
        await register_client(
            self.session,
            ClientRegistration(
                name=f"{organisation.name}: {subsystem.subsystem_code}"[:200],
                organisation=organisation.name,
                purpose=f"The subsystem {subsystem_id} calling and answering through the data exchange.",
                client_id=subsystem.client_id,
                token_endpoint_auth_method=PRIVATE_KEY_JWT,
                jwks=application.jwks,
                grant_types=["client_credentials"],
                allowed_scopes=[EXCHANGE_SCOPE],
            ),
        )
        if link_applicant and application.applicant_account_id is not None:
            await self.organisations.represent(
                application.applicant_account_id, organisation, MEMBER_ADMIN_ROLE
            )
        application.status = APPROVED
        application.member_id = member.id
        return member

    async def reject(self, public_id: str, by: Decider, reason: str | None) -> Application:
        cleaned = reason_or_refuse(reason, "rejection")
        application = await self._pending(public_id)
        application.status = REJECTED
        application.decided_by = by.label
        application.decided_at = utcnow()
        application.reason = cleaned
        await self.session.flush()
        return application
