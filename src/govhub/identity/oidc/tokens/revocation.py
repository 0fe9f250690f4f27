"""Ending a person's standing access to services: every refresh token (all their families, of one service or
of all), and the access tokens issued with them and with recent codes.

Called when a person withdraws a service, signs out everywhere or resets their password (OAuth 2.0
Security BCP, RFC 9700 §4.14.2: refresh tokens are revoked when the person's credentials change or they
end the grant). Everything happens in the caller's transaction and is read from the database by every
refresh and every check of an access token, so it holds on every app node as soon as it commits.

Access tokens are signed JWTs listed nowhere; their `jti`s are derived (`grants.family_of_code`,
`grants.access_jti_of_refresh`), so the ones that may still be live are those of codes redeemed and refresh
tokens issued within one access-token lifetime, and only those are listed as revoked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.tokens.grants import access_jti_of_refresh, family_of_code
from govhub.identity.oidc.tokens.repository import TokensRepository


async def revoke_person_tokens(
    db: AsyncSession, settings: Settings, account_id: int, now: datetime, *, client_id: str | None = None
) -> int:
    """Revoke the person's refresh tokens (of `client_id`, or of every service) and the access tokens that
    may still be live from them or from the person's recent sign-ins; the number of refresh tokens revoked."""
    tokens = TokensRepository(db)
    lifetime = timedelta(seconds=settings.oidc_access_token_seconds)
    since = now - lifetime
    revoked = await tokens.revoke_refresh_tokens_of(account_id, client_id, now)
    codes = await tokens.codes_used_since(account_id, client_id, since)
    # A family's first access token is named by its code (`family_of_code`), so the codes cover it; the
    # refresh tokens made before `since` gave access tokens that have expired.
    jtis = [access_jti_of_refresh(token_hash) for token_hash, made in revoked if made >= since]
    jtis += [family_of_code(code_hash) for code_hash in codes]
    await tokens.revoke_access_tokens(jtis, now + lifetime)
    return len(revoked)
