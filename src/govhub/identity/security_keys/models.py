"""Security keys and passkeys (WebAuthn) as a second factor, and the challenges their ceremonies sign.

A key is registered to one account and is used, like the authenticator app's code, after the password.
Only its public key is kept: a copy of this table signs nobody in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime

#: WebAuthn Level 3 §5.8.3: a credential id is at most 1023 bytes, 1364 characters of base64url.
MAX_CREDENTIAL_ID = 1364
MAX_NAME = 60


class SecurityKey(Base):
    """A WebAuthn credential registered as an account's second factor."""

    __tablename__ = "identity_security_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    #: The credential id (raw bytes) as base64url without padding, as it travels in WebAuthn's JSON.
    credential_id: Mapped[str] = mapped_column(String(MAX_CREDENTIAL_ID), unique=True)
    #: The credential public key, COSE_Key encoded (RFC 9052 §7), as the authenticator gave it.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: The authenticator's signature counter (an unsigned 32-bit number); a count that does not go up
    #: means a cloned key, unless the authenticator keeps no count (always 0).
    sign_count: Mapped[int] = mapped_column(BigInteger)
    #: How the browser reached the key ("usb", "nfc", "ble", "internal", "hybrid"), comma-separated; given
    #: back to the browser at sign-in as a hint.
    transports: Mapped[str] = mapped_column(String(200), default="")
    #: What the person called it, to tell their keys apart on the account page.
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WebAuthnChallenge(Base):
    """The challenge a browser session was given for one ceremony (registering a key, or signing in with
    one). Kept here, not in the browser: it is bound to the session (gone with it), one per session and
    ceremony (a new page replaces it), used once (deleted when a response comes back) and short-lived.
    Only its SHA-256 is stored; the response's clientDataJSON names it."""

    __tablename__ = "identity_webauthn_challenges"
    __table_args__ = (UniqueConstraint("session_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("identity_sessions.id", ondelete="CASCADE"))
    #: "register" or "authenticate".
    purpose: Mapped[str] = mapped_column(String(20))
    challenge_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
