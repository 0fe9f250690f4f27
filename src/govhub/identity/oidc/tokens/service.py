"""The tokens the provider signs, and the check of its own access tokens.

- Access tokens are JWTs (RFC 9068: `typ: at+jwt`), so a resource server checks them against the JWKS
  with no call to us. A token about a person carries the account only sealed (AES-GCM under a key
  derived from `secret_key`), so the client cannot read it and two tokens cannot be linked by it.
- ID tokens (OpenID Connect Core §2, §3.1.3.6) with `vot`/`vtm` (RFC 8485) or `acr`.
- The identity JWT: the verified identity as a separately signed JWT a service can keep as proof, as
  GOV.UK One Login's `coreIdentityJWT`."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.discovery.keys import SIGNING_ALGORITHMS
from govhub.identity.oidc.errors import OAuthError
from govhub.identity.oidc.jose import unverified_parts
from govhub.identity.oidc.levels import TRUSTMARK_PATH
from govhub.identity.oidc.provider import Provider
from govhub.identity.oidc.tokens.repository import TokensRepository, revoked_by_point_read
from govhub.kit.clock import utcnow

if TYPE_CHECKING:
    from govhub.identity.accounts.models import Account

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 (a media type, not a secret)
#: The claim (in userinfo) carrying the identity JWT, named as GOV.UK One Login names its own.
IDENTITY_JWT_CLAIM = "https://vocab.govhub.example/v1/coreIdentityJWT"
#: Private claims in our access tokens: the sealed account, and the userinfo claims asked by `claims` (a
#: record of the request: userinfo releases only what the token's scopes cover, `resources.userinfo`).
ACCOUNT_CLAIM = "gh_acct"
USERINFO_CLAIMS_CLAIM = "gh_claims"


class InvalidToken(Exception):
    """Not an access token of ours that is valid now; the message says why (for `error_description`)."""


def half_hash(value: str) -> str:
    """OpenID Connect Core §3.1.3.6 `at_hash`: the left half of SHA-256 (our algorithms all use it)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def new_jti() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_in: int
    claims: dict[str, Any]


async def issue_access_token(
    db: AsyncSession,
    provider: Provider,
    *,
    sub: str,
    client_id: str,
    scope: str,
    jti: str | None = None,
    jkt: str | None = None,
    account_id: int | None = None,
    vot: str | None = None,
    auth_time: datetime | None = None,
    userinfo_claims: list[str] | None = None,
) -> IssuedAccessToken:
    now = int(utcnow().timestamp())
    lifetime = provider.settings.oidc_access_token_seconds
    claims: dict[str, Any] = {
        "iss": provider.issuer,
        "sub": sub,
        "aud": provider.issuer,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or new_jti(),
    }
    if jkt is not None:
        claims["cnf"] = {"jkt": jkt}
    if account_id is not None:
        claims[ACCOUNT_CLAIM] = provider.account_seal.seal(account_id)
    if vot is not None:
        claims["vot"] = vot
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    if userinfo_claims:
        claims[USERINFO_CLAIMS_CLAIM] = userinfo_claims
    token = await provider.keys.sign(db, claims, alg="ES256", typ=ACCESS_TOKEN_TYP)
    return IssuedAccessToken(token, claims["jti"], lifetime, claims)


@dataclass(frozen=True)
class AccessTokenClaims:
    claims: dict[str, Any]

    @property
    def jti(self) -> str:
        return str(self.claims["jti"])

    @property
    def client_id(self) -> str:
        return str(self.claims.get("client_id", ""))

    @property
    def scopes(self) -> set[str]:
        return set(str(self.claims.get("scope", "")).split())

    @property
    def jkt(self) -> str | None:
        cnf = self.claims.get("cnf")
        return str(cnf["jkt"]) if isinstance(cnf, dict) and "jkt" in cnf else None

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(int(self.claims["exp"]), UTC)

    def account_id(self, provider: Provider) -> int | None:
        sealed = self.claims.get(ACCOUNT_CLAIM)
        if not isinstance(sealed, str):
            return None
        try:
            return provider.account_seal.open(sealed)
        except ValueError:
            raise InvalidToken("the access token's account reference does not open") from None


async def check_access_token(
    db: AsyncSession, provider: Provider, token: str, *, check_revoked: bool = True
) -> AccessTokenClaims:
    """An access token we issued, signed by a key we publish, unexpired and not revoked; else
    `InvalidToken` saying why. A token this node has checked before is not checked again, only its
    expiry and revocation (a machine client sends one token for minutes; a signature check costs more
    than the rest of a gateway request's checks)."""
    checked = provider.checked_access_tokens.get(token)
    claims = checked if checked is not None else await _verified_access_token(db, provider, token)
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= int(utcnow().timestamp()):
        raise InvalidToken("the access token has expired")
    if check_revoked and await access_token_revoked(db, provider, claims["jti"]):
        raise InvalidToken("the access token has been revoked")
    if checked is None:
        if len(provider.checked_access_tokens) >= MAX_CHECKED_TOKENS:
            provider.checked_access_tokens.clear()
        provider.checked_access_tokens[token] = claims
    return AccessTokenClaims(claims)


async def access_token_revoked(db: AsyncSession, provider: Provider, jti: str) -> bool:
    """Whether the access token `jti` has been revoked: a point read when one can answer (it costs less
    than a statement in the unit of work, and a gateway request makes no other), else in `db`."""
    if provider.database is not None:
        answer = await revoked_by_point_read(provider.database.point_reads, jti)
        if answer is not None:
            return answer
    return await TokensRepository(db).access_token_revoked(jti)


async def token_account(db: AsyncSession, account_id: int | None) -> Account | None:
    """The account an access token's sealed account id names (`AccessTokenClaims.account_id`); None for a
    machine client's token (no account in it) or an account that has gone. For resource servers in other
    blocks, which read no identity table themselves."""
    return await TokensRepository(db).account(account_id) if account_id is not None else None


#: Checked access tokens a node remembers, at most (it forgets them all past this).
MAX_CHECKED_TOKENS = 10_000


async def _verified_access_token(db: AsyncSession, provider: Provider, token: str) -> dict[str, Any]:
    """The claims of an access token signed by a key we publish and issued by us, not yet checked for
    expiry or revocation."""
    try:
        header, _ = unverified_parts(token, error="invalid_token", what="access token")
    except OAuthError:
        raise InvalidToken("the access token is not a JWT") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in SIGNING_ALGORITHMS or header.get("typ") != ACCESS_TOKEN_TYP:
        raise InvalidToken("the access token is not an at+jwt signed by this provider")
    key = await provider.keys.verification_key(db, str(kid)) if isinstance(kid, str) else None
    if key is None or key.alg != alg:
        raise InvalidToken("the access token is signed by a key this provider does not publish")
    try:
        claims = dict(jwt.decode(token, key.key, algorithms=[alg]).claims)
    except (JoseError, ValueError, TypeError):
        raise InvalidToken("the access token's signature does not verify") from None
    if claims.get("iss") != provider.issuer or not isinstance(claims.get("jti"), str):
        raise InvalidToken("the access token was not issued by this provider")
    return claims


async def issue_id_token(
    db: AsyncSession,
    provider: Provider,
    *,
    sub: str,
    client_id: str,
    alg: str,
    auth_time: datetime,
    sid: str,
    nonce: str | None,
    access_token: str,
    level_claims: dict[str, str],
) -> str:
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": provider.issuer,
        "sub": sub,
        "aud": client_id,
        "exp": now + provider.settings.oidc_id_token_seconds,
        "iat": now,
        "auth_time": int(auth_time.timestamp()),
        "sid": sid,
        "at_hash": half_hash(access_token),
        **level_claims,
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return await provider.keys.sign(db, claims, alg=alg, typ="JWT")


async def issue_identity_jwt(
    db: AsyncSession,
    provider: Provider,
    *,
    sub: str,
    client_id: str,
    alg: str,
    vot: str,
    identity: dict[str, Any],
) -> str:
    """The verified identity, signed on its own (as One Login's coreIdentityJWT): `vc` holds the name and
    date of birth in the W3C VC shape One Login uses, so a service can keep it as proof of what it was
    told."""
    now = int(utcnow().timestamp())
    claims = {
        "iss": provider.issuer,
        "sub": sub,
        "aud": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + provider.settings.oidc_id_token_seconds,
        "vot": vot,
        "vtm": provider.url(TRUSTMARK_PATH),
        "vc": {
            "type": ["VerifiableCredential", "IdentityCheckCredential"],
            "credentialSubject": {
                "name": [
                    {
                        "nameParts": [
                            {"type": "GivenName", "value": identity["given_name"]},
                            {"type": "FamilyName", "value": identity["family_name"]},
                        ]
                    }
                ],
                "birthDate": [{"value": identity["birth_date"]}],
            },
        },
    }
    return await provider.keys.sign(db, claims, alg=alg, typ="JWT")
