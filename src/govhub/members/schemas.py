"""Bodies of the members admin API (`/members/...`), camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from govhub.members.membership.service import MemberDetails
from govhub.members.models import Application, MemberStatusChange, Subsystem
from govhub.members.onboarding.service import NewApplication
from govhub.members.xroad_ids import MemberId


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ApplicationCreate(_Camel):
    organisation_name: str = Field(max_length=1000, description="The organisation's name.")
    registration_number: str = Field(
        max_length=1000, description="Its company, charity or public body registration number."
    )
    member_class: str = Field(
        max_length=20,
        description="GOV (government), NHS (health), COM (companies) or ORG (charities and social "
        "enterprises).",
    )
    organisation_kind: str | None = Field(
        None,
        max_length=40,
        description="For ORG: charity (the default) or social-enterprise. GOV and NHS members are public "
        "bodies, COM members companies.",
    )
    member_code: str | None = Field(
        None, max_length=1000, description="The member code asked for; the registration number when left out."
    )
    contact_name: str = Field(max_length=1000)
    contact_email: str = Field(max_length=1000)
    subsystem_code: str = Field(max_length=1000, description="The first subsystem's code, e.g. parking.")
    jwks: dict[str, Any] = Field(
        description="The subsystem's public signing keys, a JWK Set: EC P-256 or RSA of 2048 bits or more, "
        "public only. It signs its private_key_jwt client assertions with the private halves."
    )

    def new_application(self) -> NewApplication:
        return NewApplication(**self.model_dump())


class ReasonBody(_Camel):
    reason: str = Field(max_length=10_000, description="Why; kept with the decision and shown to the member.")


class ApproveBody(_Camel):
    note: str | None = Field(None, max_length=2000, description="An optional note kept with the approval.")


class ApplicationView(_Camel):
    id: str = Field(description="The application's reference (a UUID).")
    status: str = Field(
        description="pending; confirming (approved by the platform, waiting for a director of the "
        "organisation, already registered, to confirm the applicant); approved; rejected (by the platform); "
        "declined (by the organisation)."
    )
    organisation_name: str
    registration_number: str
    member_class: str
    organisation_kind: str
    member_id: str = Field(description="The member it asks to be: INSTANCE/CLASS/MEMBER.")
    subsystem_id: str = Field(description="Its first subsystem: INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
    contact_name: str
    contact_email: str
    jwks: dict[str, Any]
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    organisation_id: str | None = Field(
        None,
        description="While confirming: the registered organisation (public id) whose directors are asked.",
    )
    confirmation_by: str | None = Field(None, description="The director who confirmed or declined.")
    confirmation_at: datetime | None = None
    confirmation_reason: str | None = Field(None, description="Why the organisation declined.")

    @classmethod
    def of(cls, application: Application, *, organisation_id: str | None = None) -> ApplicationView:
        member_id = application.proposed_member_id
        return cls(
            id=application.public_id,
            status=application.status,
            organisation_name=application.organisation_name,
            registration_number=application.registration_number,
            member_class=application.member_class,
            organisation_kind=application.organisation_kind,
            member_id=str(member_id),
            subsystem_id=str(member_id.subsystem(application.subsystem_code)),
            contact_name=application.contact_name,
            contact_email=application.contact_email,
            jwks=application.jwks,
            submitted_at=application.submitted_at,
            decided_by=application.decided_by,
            decided_at=application.decided_at,
            reason=application.reason,
            organisation_id=organisation_id,
            confirmation_by=application.confirmation_by,
            confirmation_at=application.confirmation_at,
            confirmation_reason=application.confirmation_reason,
        )


class SubsystemView(_Camel):
    id: str = Field(description="INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
    subsystem_code: str
    client_id: str = Field(description="The OAuth client it authenticates as at /token (private_key_jwt).")
    status: str
    created_at: datetime

    @classmethod
    def of(cls, member_id: MemberId, subsystem: Subsystem) -> SubsystemView:
        return cls(
            id=str(subsystem.subsystem_id(member_id)),
            subsystem_code=subsystem.subsystem_code,
            client_id=subsystem.client_id,
            status=subsystem.status,
            created_at=subsystem.created_at,
        )


class StatusChangeView(_Camel):
    status: str = Field(description="suspended, or active (reinstated).")
    reason: str
    changed_by: str
    changed_at: datetime

    @classmethod
    def of(cls, change: MemberStatusChange) -> StatusChangeView:
        return cls(
            status=change.status,
            reason=change.reason,
            changed_by=change.changed_by,
            changed_at=change.changed_at,
        )


class MemberView(_Camel):
    id: str = Field(description="INSTANCE/CLASS/MEMBER.")
    instance: str
    member_class: str
    member_code: str
    name: str
    organisation_id: str = Field(description="The identity organisation it is (its public id).")
    status: str = Field(description="active or suspended.")
    suspended_at: datetime | None
    suspension_reason: str | None
    created_at: datetime
    subsystems: list[SubsystemView]
    history: list[StatusChangeView] = Field(
        description="Suspensions and reinstatements, oldest first (empty in lists)."
    )

    @classmethod
    def of(cls, details: MemberDetails) -> MemberView:
        member = details.member
        member_id = member.member_id
        return cls(
            id=str(member_id),
            instance=member.instance,
            member_class=member.member_class,
            member_code=member.member_code,
            name=member.name,
            organisation_id=details.organisation_id,
            status=member.status,
            suspended_at=member.suspended_at,
            suspension_reason=member.suspension_reason,
            created_at=member.created_at,
            subsystems=[SubsystemView.of(member_id, s) for s in details.subsystems],
            history=[StatusChangeView.of(change) for change in details.history],
        )


class SubsystemRead(SubsystemView):
    member_id: str = Field(description="Its member: INSTANCE/CLASS/MEMBER.")
    member_name: str
    member_status: str = Field(description="A suspended member's subsystems are shut out, whatever theirs.")
