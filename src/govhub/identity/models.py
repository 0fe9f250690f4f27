"""Identity tables: accounts (citizens and business representatives)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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


#: Authentication levels (RFC 8485 vectors of trust, as GOV.UK One Login uses them): one factor, two.
AUTH_LEVELS = ("Cl", "Cl.Cm")


class SignInSession(Base):
    """A browser's signed-in session, kept server-side; the cookie holds only a random token whose SHA-256
    is stored here. `sid` is the public session id that ID tokens and back-channel logout tokens carry."""

    __tablename__ = "identity_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(43), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    #: "Cl" once the password is checked, "Cl.Cm" once the second factor is too; None while the second
    #: factor is still awaited (the session then signs in to nothing).
    auth_level: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    authenticated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")


# The provider's tables are the identity block's too; importing them here registers them with the metadata.
from govhub.identity.oidc import models as _oidc_models  # noqa: E402,F401
