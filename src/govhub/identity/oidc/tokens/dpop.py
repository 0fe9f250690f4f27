"""DPoP (RFC 9449): proofs that the caller holds the private key a token is bound to.

A proof is a JWT with `typ: dpop+jwt` carrying its public key in the header (§4.2), signed for one request
(`htm`, `htu`), recently (`iat`), once (`jti`), and, at a resource, for one access token (`ath`). Tokens
bound to the key carry its RFC 7638 thumbprint as `cnf.jkt` (§6)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from joserfc import jwk, jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.errors import INVALID_DPOP_PROOF, OAuthError
from govhub.identity.oidc.jose import sha256_b64url, unverified_parts
from govhub.identity.oidc.provider import Provider
from govhub.identity.oidc.tokens.repository import TokensRepository
from govhub.kit.clock import utcnow

DPOP_ALGORITHMS = ("ES256", "RS256", "PS256")
#: How old a proof may be (§11.1 leaves the window to the server), and how far ahead a client's clock.
PROOF_MAX_AGE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=30)


@dataclass(frozen=True)
class DpopProof:
    jkt: str


def _refuse(description: str, *, status: int = 400, www_authenticate: str | None = None) -> OAuthError:
    return OAuthError(INVALID_DPOP_PROOF, description, status=status, www_authenticate=www_authenticate)


def _same_uri(htu: str, url: str) -> bool:
    """§4.3: compared without query and fragment; scheme and host are case-insensitive."""
    try:
        a, b = urlsplit(htu), urlsplit(url)
    except ValueError:
        return False
    default = {"https": 443, "http": 80}
    return (
        a.scheme.lower() == b.scheme.lower()
        and (a.hostname or "").lower() == (b.hostname or "").lower()
        and (a.port or default.get(a.scheme.lower())) == (b.port or default.get(b.scheme.lower()))
        and (a.path or "/") == (b.path or "/")
    )


async def verify_proof(
    db: AsyncSession,
    proof: str,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
    provider: Provider | None = None,
    group_commit: bool = False,
    status: int = 400,
    www_authenticate: str | None = None,
) -> DpopProof:
    """Check a DPoP proof against RFC 9449 §4.3 and remember its `jti`; the thumbprint of its key."""

    def refuse(description: str) -> OAuthError:
        return _refuse(description, status=status, www_authenticate=www_authenticate)

    header, _ = unverified_parts(proof, error=INVALID_DPOP_PROOF, what="DPoP proof")
    if header.get("typ") != "dpop+jwt":
        raise refuse("the DPoP proof's typ must be dpop+jwt")
    alg = header.get("alg")
    if alg not in DPOP_ALGORITHMS:
        raise refuse(f"the DPoP proof must be signed with {', '.join(DPOP_ALGORITHMS)}, not {alg!r}")
    public = header.get("jwk")
    if not isinstance(public, dict) or any(p in public for p in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise refuse("the DPoP proof's header must carry the public key (jwk), and no private part")
    try:
        key = jwk.import_key(public)
        claims: dict[str, Any] = dict(jwt.decode(proof, key, algorithms=[alg]).claims)
    except (JoseError, ValueError, TypeError):
        raise refuse("the DPoP proof's signature does not verify with the key in its header") from None
    if claims.get("htm") != method:
        raise refuse(f"the DPoP proof's htm must be {method}")
    htu = claims.get("htu")
    if not isinstance(htu, str) or not _same_uri(htu, url):
        raise refuse(f"the DPoP proof's htu must be {url}")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or not math.isfinite(iat):
        raise refuse("the DPoP proof needs iat, a number")
    now = utcnow()
    issued = datetime.fromtimestamp(min(max(iat, 0), 2**33), UTC)
    if issued < now - PROOF_MAX_AGE or issued > now + CLOCK_SKEW:
        raise refuse("the DPoP proof's iat is too old or in the future: make a new proof per request")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= 200:
        raise refuse("the DPoP proof needs a jti (a unique identifier, at most 200 characters)")
    if access_token is not None and claims.get("ath") != sha256_b64url(access_token):
        raise refuse("the DPoP proof's ath is not the hash of the access token sent with it")
    jkt = key.thumbprint()
    expires_at = issued + PROOF_MAX_AGE + CLOCK_SKEW
    recorded = (
        await provider.record_jti(db, "dpop", jkt[:100], jti, expires_at, group_commit=group_commit)
        if provider is not None
        else await TokensRepository(db).record_jti("dpop", jkt[:100], jti, expires_at)
    )
    if not recorded:
        raise refuse("this DPoP proof was used before: make a new one, with a new jti, per request")
    return DpopProof(jkt=jkt)
