"""Relying parties for the provider's tests: keys, client assertions (RFC 7523), DPoP proofs
(RFC 9449), registered clients, and authorization codes inserted as the authorization journey would
issue them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwk, jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import Account
from govhub.identity.oidc.clients.service import ClientRegistration, Registered, register_client
from govhub.identity.oidc.models import AuthorizationCode, ConsentRevision
from govhub.kit.clock import utcnow
from tests.factories.oidc import create_client

ISSUER = "http://127.0.0.1:8000"
TOKEN_ENDPOINT = ISSUER + "/token"
REDIRECT_URI = "https://service.example.org/callback"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class ClientKeys:
    """A client's private key and its public JWK Set."""

    alg: str = "ES256"
    key: jwk.Key = field(init=False)

    def __post_init__(self) -> None:
        if self.alg == "ES256":
            self.key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
        else:
            self.key = jwk.RSAKey.generate_key(2048, private=True, auto_kid=True)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.key.as_dict(private=False), "use": "sig"}]}

    def assertion(self, client_id: str, *, aud: str | list[str] = TOKEN_ENDPOINT, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        }
        claims.update(overrides)
        header = {"alg": self.alg, "kid": self.key.kid}
        return jwt.encode(
            header, {k: v for k, v in claims.items() if v is not None}, self.key, algorithms=[self.alg]
        )

    def auth(self, client_id: str, **overrides: Any) -> dict[str, str]:
        """The form fields that authenticate the client with private_key_jwt."""
        return {
            "client_assertion_type": JWT_BEARER,
            "client_assertion": self.assertion(client_id, **overrides),
        }


@dataclass
class DpopKey:
    key: jwk.Key = field(default_factory=lambda: jwk.ECKey.generate_key("P-256", private=True))

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(self, method: str, url: str, *, access_token: str | None = None, **overrides: Any) -> str:
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        claims.update(overrides)
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key, algorithms=["ES256"])


#: The machine-client factory, under the name its many callers use.
machine_client = create_client


async def code_client(session: AsyncSession, keys: ClientKeys | None, **options: Any) -> Registered:
    values: dict[str, Any] = {
        "name": "Resident parking permits",
        "organisation": "Testshire Council",
        "redirect_uris": [REDIRECT_URI],
        "allowed_scopes": ["openid", "email", "identity", "business", "offline_access"],
        "allowed_levels": ["Cl", "Cl.Cm", "Cl.Cm.P2"],
    }
    if keys is not None:
        values["jwks"] = keys.jwks
    values.update(options)
    return await register_client(session, ClientRegistration(**values))


async def create_account(session: AsyncSession, *, identity_level: str = "P0") -> Account:
    account = Account(
        public_id=str(uuid.uuid4()),
        email=f"person-{secrets.token_hex(4)}@example.org",
        email_verified_at=utcnow(),
        password_hash="not-used-by-these-tests",
        totp_secret=None,
        identity_level=identity_level,
        created_at=utcnow(),
    )
    session.add(account)
    await session.flush()
    return account


@dataclass
class IssuedCode:
    code: str
    verifier: str
    row: AuthorizationCode


async def insert_code(
    session: AsyncSession,
    client_id: str,
    account: Account,
    *,
    scope: str = "openid email",
    vot: str = "Cl.Cm",
    nonce: str | None = "n-0S6_WzA2Mj",
    requested_by_vtr: bool = True,
    acr: str | None = None,
    claims: dict[str, Any] | None = None,
    dpop_jkt: str | None = None,
    expires_in: timedelta = timedelta(seconds=60),
    auth_time: datetime | None = None,
) -> IssuedCode:
    """An authorization code as `/authorize` issues it (stored hashed), with its PKCE verifier."""
    code = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    now = utcnow()
    row = AuthorizationCode(
        code_hash=hashlib.sha256(code.encode()).hexdigest(),
        client_id=client_id,
        account_id=account.id,
        sid=secrets.token_urlsafe(32)[:43],
        redirect_uri=REDIRECT_URI,
        scope=scope,
        nonce=nonce,
        code_challenge=b64url(hashlib.sha256(verifier.encode()).digest()),
        vot=vot,
        acr=acr,
        requested_by_vtr=requested_by_vtr,
        claims=claims,
        auth_time=auth_time or now,
        dpop_jkt=dpop_jkt,
        created_at=now,
        expires_at=now + expires_in,
        used_at=None,
    )
    session.add(row)
    await session.flush()
    return IssuedCode(code, verifier, row)


def code_form(issued: IssuedCode, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": issued.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": issued.verifier,
        **overrides,
    }


async def consent_history(session: AsyncSession, account_id: int, client_id: str) -> list[ConsentRevision]:
    """Every revision of a person's consent to a client, oldest first (the append-only history; only
    tests read it back)."""
    rows = await session.scalars(
        select(ConsentRevision)
        .where(ConsentRevision.account_id == account_id, ConsentRevision.client_id == client_id)
        .order_by(ConsentRevision.id)
    )
    return list(rows.all())
