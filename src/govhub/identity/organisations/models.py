"""Business representatives: organisations (companies, charities, public bodies) and the accounts that act
for them, each with a role. Services learn them through the `business` scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime

ORGANISATION_KINDS = ("company", "charity", "public-body", "social-enterprise")
#: What a representative may be to an organisation: run it, work for it, or act for it from outside.
REPRESENTATIVE_ROLES = ("director", "employee", "agent")


class Organisation(Base):
    __tablename__ = "identity_organisations"
    #: A registration number is unique within its register (Companies House, the Charity Commission...),
    #: not across them: a charitable company holds a number in each.
    __table_args__ = (UniqueConstraint("kind", "registration_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A UUID, given to services in the `organisations` claim.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Representative(Base):
    """An account acting for an organisation, in one role."""

    __tablename__ = "identity_representatives"
    __table_args__ = (UniqueConstraint("account_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("identity_organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
