"""Identity proving (P2): the identity an account was matched to in an authoritative register, and every
attempt at matching, which is what throttles guessing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime


class VerifiedIdentityRow(Base):
    """The identity an account proved: the details the person gave, as the register holds them, and the
    record they matched."""

    __tablename__ = "identity_verified_identities"
    #: One register record proves one account: a second account claiming the same birth is refused.
    __table_args__ = (UniqueConstraint("register", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), unique=True
    )
    register: Mapped[str] = mapped_column(String(100))
    record_key: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProvingAttempt(Base):
    """One try at proving an identity, matched or not; the failed ones in the last day throttle the next."""

    __tablename__ = "identity_proving_attempts"
    __table_args__ = (
        Index("ix_identity_proving_attempts_account_id_attempted_at", "account_id", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_accounts.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    matched: Mapped[bool]
