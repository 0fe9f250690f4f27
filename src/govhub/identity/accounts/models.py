"""Identity tables: accounts (citizens and business representatives)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
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
    #: The authenticator app's base32 secret, encrypted (AES-GCM, `govhub.identity.accounts.secret_box`); None
    #: until the account has an authenticator app.
    totp_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
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
    #: Both indexed for the sweep that ends sessions that timed out (`oidc.logout_delivery`).
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")


class EmailToken(Base):
    """A link sent by email, to confirm an address at sign-up or to reset a password. Single use and
    short-lived; only the SHA-256 of its random token is kept."""

    __tablename__ = "identity_email_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "sign-up" or "password-reset".
    purpose: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    #: The account whose password is reset; None at sign-up, where the account is made only once the
    #: address is confirmed (so nobody can claim an address they cannot read).
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), nullable=True, index=True
    )
    #: Sign-up only: the password chosen, already hashed (argon2id).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RecoveryCode(Base):
    """One of an account's single-use recovery codes, kept as a keyed hash (HMAC-SHA-256)."""

    __tablename__ = "identity_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ThrottleEvent(Base):
    """One counted attempt (a failed sign-in or code, a mail sent) against one subject (an account, an
    address typed, a client address). In the database, so every app node counts the same."""

    __tablename__ = "identity_throttle_events"
    __table_args__ = (Index("ix_identity_throttle_events_action_subject_at", "action", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    #: e.g. "email:<sha-256 of the address>" or "ip:<client address>".
    subject: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
