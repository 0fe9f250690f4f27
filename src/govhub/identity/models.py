"""Identity tables: accounts (citizens and business representatives)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime

#: Identity confidence (GOV.UK One Login's vectors of trust): none, some, or matched against an
#: authoritative register.
IDENTITY_LEVELS = ("P0", "P1", "P2")


class Account(Base):
    __tablename__ = "identity_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account's stable public identifier (a UUID); subjects given to services are derived from it.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: Lower-cased, so one address is one account however it is typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: argon2id, PHC string format.
    password_hash: Mapped[str] = mapped_column(String(200))
    #: Base32; None until the account has an authenticator app.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(nullable=True)
    identity_level: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
