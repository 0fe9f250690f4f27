"""The OpenID Connect provider's tables. Secrets (codes, refresh tokens, client secrets) are stored only as
SHA-256 hashes; what a leaked database gives away cannot be replayed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime


class RelyingParty(Base):
    """A registered client: a service that signs people in (code flow) or a machine client
    (`client_credentials`)."""

    __tablename__ = "oidc_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    #: What the service uses the person's data for, shown on the consent screen.
    purpose: Mapped[str] = mapped_column(Text, default="")
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: "private_key_jwt" (the default) or "client_secret_post".
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40))
    client_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The client's public keys (a JWK Set), or where to fetch them.
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    jwks_uri: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: "ES256" (the default) or "RS256".
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(10))
    #: Pairwise subjects are derived per sector, so services of one sector may share them.
    sector_identifier: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str] = mapped_column(String(10))
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    allowed_scopes: Mapped[list[str]] = mapped_column(JSON)
    #: Vectors of trust the client may ask for, e.g. ["Cl", "Cl.Cm", "Cl.Cm.P2"].
    allowed_levels: Mapped[list[str]] = mapped_column(JSON)
    require_par: Mapped[bool] = mapped_column(Boolean, default=False)
    require_dpop: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: The data exchange subsystem (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`) that acts for the people signed in
    #: to this service: the gateway takes a person's token of this client from that subsystem only (and
    #: from the subsystem's own client). Set by the operator who registers the service.
    exchange_subsystem: Mapped[str | None] = mapped_column(String(200), nullable=True)


class SigningKey(Base):
    """The provider's own signing keys. A key is published in the JWKS from `published_at`, signs from
    `active_from` (later, so relying parties have fetched it first) and is withdrawn at `retired_at`."""

    __tablename__ = "oidc_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10))
    #: The private JWK (JSON text).
    private_jwk: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    active_from: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PendingAuthorization(Base):
    """An authorization request on its way through sign-in and consent, or pushed by PAR (RFC 9126): the
    browser carries only `request_uri`, never the parameters, between steps."""

    __tablename__ = "oidc_authorization_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_uri: Mapped[str] = mapped_column(String(100), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    pushed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Indexed for the sweep that drops abandoned journeys and unused pushed requests.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class AuthorizationCode(Base):
    __tablename__ = "oidc_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    #: Indexed: signing out everywhere revokes the access tokens of the person's recent codes.
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    sid: Mapped[str] = mapped_column(String(43))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(1000))
    nonce: Mapped[str | None] = mapped_column(String(500), nullable=True)
    code_challenge: Mapped[str] = mapped_column(String(128))
    #: The vector of trust achieved (`vot`), e.g. "Cl.Cm.P2", and the `acr` value the client asked in.
    vot: Mapped[str] = mapped_column(String(40))
    acr: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Whether the client asked by `vtr` (answered with `vot`/`vtm`) or by `acr_values` (answered with `acr`).
    requested_by_vtr: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Identity claims requested through the `claims` parameter (e.g. the core identity JWT).
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    auth_time: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The DPoP key thumbprint (RFC 9449 `dpop_jkt`) the tokens must be bound to, if the client gave one.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RefreshToken(Base):
    """Rotated on every use; a token used twice revokes its whole family (reuse detection)."""

    __tablename__ = "oidc_refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(43), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    #: Indexed: a person's refresh tokens are revoked together (sign out everywhere, password reset,
    #: withdrawing a service) and listed on their services page.
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    sid: Mapped[str] = mapped_column(String(43), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    vot: Mapped[str] = mapped_column(String(40))
    #: What the sign-in established, carried from the code so every refresh says the same: when it happened
    #: (None only on rows from before revision 0009), the `acr` asked in and how, the claims requested.
    auth_time: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acr: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requested_by_vtr: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RevokedAccessToken(Base):
    """Access tokens are signed JWTs checked without a lookup; one revoked before it expires is listed
    here by `jti` until then (RFC 7009)."""

    __tablename__ = "oidc_revoked_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UsedJwtId(Base):
    """`jti`s of client assertions and DPoP proofs seen within their lifetime: a replay is refused."""

    __tablename__ = "oidc_used_jtis"
    __table_args__ = (UniqueConstraint("kind", "issuer", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "client_assertion" or "dpop".
    kind: Mapped[str] = mapped_column(String(20))
    issuer: Mapped[str] = mapped_column(String(100))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ConsentGrant(Base):
    """What a person allowed a service to receive, remembered until they withdraw it."""

    __tablename__ = "oidc_consents"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_accounts.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ClientSession(Base):
    """That a service was signed in to through a browser session: listed on the account page and told
    (back-channel logout) when the session ends."""

    __tablename__ = "oidc_client_sessions"
    __table_args__ = (UniqueConstraint("sid", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(43), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_accounts.id", ondelete="CASCADE"))
    signed_in_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LogoutDelivery(Base):
    """A back-channel logout to deliver to one service for one ended session, retried with backoff until
    the service accepts it or the attempts run out. The logout token is signed at each attempt, not when
    queued, so a retry hours later still carries a fresh, short-lived token.

    `next_attempt_at` doubles as the claim: a node takes a delivery by moving it forward with an
    `UPDATE ... WHERE next_attempt_at = <the value it read>`, so two nodes never send the same one."""

    __tablename__ = "oidc_logout_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_accounts.id", ondelete="CASCADE"))
    sid: Mapped[str] = mapped_column(String(43))
    uri: Mapped[str] = mapped_column(String(2000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Set when the attempts ran out; the delivery is kept for operators to see.
    abandoned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsentRevision(Base):
    """Append-only history of consent: each grant (with the scopes it then covered) and each withdrawal,
    written in the same transaction as the change to `oidc_consents`."""

    __tablename__ = "oidc_consent_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("identity_accounts.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(100))
    #: "granted" or "withdrawn".
    action: Mapped[str] = mapped_column(String(10))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
