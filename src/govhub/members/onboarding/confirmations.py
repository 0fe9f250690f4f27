"""An organisation's directors confirm, or decline, that an applicant acts for it.

An application naming an organisation that is already registered, from someone who does not direct it,
is approved by the platform into `CONFIRMING` and makes nothing (`service.ApplicationsService.approve`).
Anyone may type another organisation's registration number; only the organisation's own directors can say
the applicant is one of them. A director's confirmation makes the member, its subsystem and client, and
the applicant a director, all in one unit of work; a decline (with the reason) ends the application.

Every read starts from `MembersRepository.awaiting_confirmation`, scoped to the organisations the person
directs now (`Director.organisation_ids`): an application for someone else's organisation is answered as if
it did not exist. Never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.kit.clock import utcnow
from govhub.members.errors import ApplicationNotFound, MemberExists
from govhub.members.models import DECLINED, Application
from govhub.members.onboarding.service import (
    ApplicationsService,
    ExistingOrganisation,
    reason_or_refuse,
    valid_reference,
)
from govhub.members.repository import PLATFORM, MembersRepository


@dataclass(frozen=True)
class Director:
    """The signed-in person answering for an organisation."""

    account_id: int
    email: str
    #: The organisations they direct now, by key: what `membership.member_admin_viewer` finds for them (a
    #: page's caller has it already, as `PageCaller.own`).
    organisation_ids: frozenset[int]


@dataclass(frozen=True)
class AwaitingConfirmation:
    application: Application
    organisation: ExistingOrganisation
    #: The applicant's email address (None when their account has gone).
    applicant_email: str | None


class Confirmations:
    def __init__(self, session: AsyncSession, instance: str) -> None:
        self.session = session
        self.applications = ApplicationsService(session, instance)
        self.repository = MembersRepository(session)

    async def awaiting(self, director: Director) -> list[AwaitingConfirmation]:
        """The applications waiting for this person's confirmation, oldest first."""
        found = await self.repository.awaiting_confirmation(director.organisation_ids)
        return [await self._described(application) for application in found]

    async def _described(self, application: Application) -> AwaitingConfirmation:
        existing = await self.applications.existing_organisation(application)
        if existing is None:  # the organisation was removed meanwhile: nothing to confirm
            raise ApplicationNotFound(f"There is no application {application.public_id} to confirm.")
        applicant_email = (
            None
            if application.applicant_account_id is None
            else await self.applications.organisations.email_of(application.applicant_account_id)
        )
        return AwaitingConfirmation(application, existing, applicant_email)

    async def one(
        self, director: Director, public_id: str, *, for_update: bool = False
    ) -> AwaitingConfirmation:
        """The application waiting for this person's confirmation, or `ApplicationNotFound`: the same
        answer for one that does not exist, is not waiting, or is about an organisation they do not
        direct."""
        reference = valid_reference(public_id)
        found = await self.repository.awaiting_confirmation(
            director.organisation_ids, public_id=reference, for_update=for_update
        )
        if not found:
            raise ApplicationNotFound(f"There is no application {reference} waiting for your confirmation.")
        return await self._described(found[0])

    async def confirm(self, director: Director, public_id: str) -> AwaitingConfirmation:
        """The applicant acts for the organisation: the member is made and the applicant made a director."""
        # Locked: two directors answering at once answer once.
        awaiting = await self.one(director, public_id, for_update=True)
        application = awaiting.application
        organisation = awaiting.organisation.organisation
        member_id = application.proposed_member_id
        if await self.repository.member(PLATFORM, member_id) is not None or (
            await self.repository.member_of_organisation(organisation.id) is not None
        ):
            raise MemberExists(
                f"{organisation.name} or {member_id} became a member meanwhile: decline this application."
            )
        await self.applications.make_member(application, organisation, link_applicant=True)
        application.confirmation_by = director.email
        application.confirmation_at = utcnow()
        await self.session.flush()
        return awaiting

    async def decline(self, director: Director, public_id: str, reason: str | None) -> AwaitingConfirmation:
        """The applicant does not act for the organisation: the application ends, with the reason."""
        cleaned = reason_or_refuse(reason, "decline")
        awaiting = await self.one(director, public_id, for_update=True)
        application = awaiting.application
        application.status = DECLINED
        application.confirmation_by = director.email
        application.confirmation_at = utcnow()
        application.confirmation_reason = cleaned
        await self.session.flush()
        return awaiting
