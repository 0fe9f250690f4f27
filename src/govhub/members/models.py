"""The members block's tables: members (organisations plugged into the platform), their subsystems (the
systems that call and answer through the exchange), onboarding applications, the history of suspensions,
and the platform administrators.

Members and subsystems are named outside the database by their X-Road style identifiers
(`govhub.members.xroad_ids`); other tables refer to them by their integer keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime

# The services' tables live in a module of their own; imported here so that migrations see them.
from govhub.members.services import models as services_models  # noqa: F401
from govhub.members.xroad_ids import MemberId, SubsystemId

ACTIVE = "active"
SUSPENDED = "suspended"
MEMBER_STATUSES = (ACTIVE, SUSPENDED)
#: A subsystem's own status; a subsystem of a suspended member is shut out whatever its own status.
SUBSYSTEM_STATUSES = (ACTIVE, "disabled")
PENDING = "pending"
#: Approved by the platform for an organisation that was already registered: its directors are asked to
#: confirm that the applicant acts for it, and the member is made when one does.
CONFIRMING = "confirming"
APPROVED = "approved"
REJECTED = "rejected"
#: A director of the organisation said the applicant does not act for it.
DECLINED = "declined"
APPLICATION_STATUSES = (PENDING, CONFIRMING, APPROVED, REJECTED, DECLINED)


class Member(Base):
    __tablename__ = "members_members"
    __table_args__ = (UniqueConstraint("instance", "member_class", "member_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance: Mapped[str] = mapped_column(String(20))
    #: GOV, NHS, COM or ORG in govhub's own instance; one of `InstanceMemberClass` in another.
    member_class: Mapped[str] = mapped_column(String(20))
    member_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    #: The identity organisation this member is: its representatives in the director role administer it.
    #: One organisation is at most one member.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("identity_organisations.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    suspension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def member_id(self) -> MemberId:
        return MemberId(self.instance, self.member_class, self.member_code)


class Subsystem(Base):
    __tablename__ = "members_subsystems"
    __table_args__ = (UniqueConstraint("member_id", "subsystem_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members_members.id", ondelete="CASCADE"))
    subsystem_code: Mapped[str] = mapped_column(String(30))
    #: The identity provider's client it authenticates as (`SubsystemId.client_id`).
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def subsystem_id(self, member: MemberId) -> SubsystemId:
        return member.subsystem(self.subsystem_code)


class Application(Base):
    """An organisation asking to join, with its first subsystem and that subsystem's public keys. Kept
    after the decision, as the record of who asked, who decided, when and why."""

    __tablename__ = "members_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A UUID: the application's reference, shown to the applicant and used in URLs.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(40))
    member_class: Mapped[str] = mapped_column(String(20))
    #: The identity organisation kind it will be (company, charity, public-body, social-enterprise).
    organisation_kind: Mapped[str] = mapped_column(String(20))
    instance: Mapped[str] = mapped_column(String(20))
    member_code: Mapped[str] = mapped_column(String(40))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    subsystem_code: Mapped[str] = mapped_column(String(30))
    #: The subsystem's public keys, a JWK Set (`govhub.members.membership.keys`).
    jwks: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The signed-in person who applied; None when an operator applied for the organisation.
    applicant_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(10), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Who decided: a person's email address, `client <id>` for the admin API, or `command line`.
    decided_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Why it was rejected (required), or a note on the approval.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The member the approval made.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members_members.id", ondelete="SET NULL"), nullable=True
    )
    #: The organisation, already registered, whose directors are asked to confirm the applicant (set when
    #: the platform approves and the application waits for them: `CONFIRMING`).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_organisations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: The director who confirmed or declined (their email address), when, and why they declined.
    confirmation_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    confirmation_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    confirmation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def proposed_member_id(self) -> MemberId:
        return MemberId(self.instance, self.member_class, self.member_code)


class InstanceMemberClass(Base):
    """A member class of another X-Road instance the network holds members of (a federated instance, or
    GovStack's scenario instances), as X-Road's global configuration lists each instance's classes. govhub's
    own instance (`GOVHUB_MEMBERS_INSTANCE`) has the built-in `xroad_ids.MEMBER_CLASSES` and no rows here.
    Added by the operator (`govhub member class add`) or a loader; an instance is known while it has a row."""

    __tablename__ = "members_instance_classes"

    instance: Mapped[str] = mapped_column(String(20), primary_key=True)
    member_class: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The identity organisation kind its members are (`ORGANISATION_KINDS`), as `CLASS_KINDS` for ours.
    organisation_kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(300))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MemberStatusChange(Base):
    """Append-only: every suspension and reinstatement, written in the same transaction as the change."""

    __tablename__ = "members_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members_members.id", ondelete="CASCADE"), index=True)
    #: The status the member was put in: suspended or active (reinstated).
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(300))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlatformAdmin(Base):
    """An account that may decide applications and suspend members (`govhub member admin grant`)."""

    __tablename__ = "members_platform_admins"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    granted_by: Mapped[str] = mapped_column(String(300))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DirectoryStamp(Base):
    """One row (id 1) whose `stamp` takes a new random value, by database triggers (migration 0016), in the
    transaction of any change to members, subsystems, services, endpoints or access rights. What a node
    keeps of the network in memory is good while the stamp it was read under is current
    (`govhub.members.services.network_view`)."""

    __tablename__ = "members_directory_stamp"

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)
