"""Links sent by email (confirm an address at sign-up; reset a password): a random token in the link,
its SHA-256 in `identity_email_tokens`; usable once, until it expires, and superseded by a newer one."""

from __future__ import annotations

import secrets
from datetime import timedelta

from govhub.identity.accounts.models import EmailToken
from govhub.identity.accounts.repository import IdentityRepository
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest

SIGN_UP = "sign-up"
PASSWORD_RESET = "password-reset"  # noqa: S105 (a purpose, not a password)
LIFETIMES = {SIGN_UP: timedelta(hours=24), PASSWORD_RESET: timedelta(hours=1)}


async def issue(
    repository: IdentityRepository,
    purpose: str,
    email: str,
    *,
    account_id: int | None = None,
    password_hash: str | None = None,
) -> str:
    now = utcnow()
    await repository.retire_email_tokens(email, purpose, now)
    token = secrets.token_urlsafe(32)
    await repository.add_email_token(
        EmailToken(
            token_hash=secret_digest(token),
            purpose=purpose,
            email=email,
            account_id=account_id,
            password_hash=password_hash,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return token


async def usable(repository: IdentityRepository, token: str, purpose: str) -> EmailToken | None:
    """The link's row if it can still be used: known, not used, not expired."""
    if not token or len(token) > 100:
        return None
    row = await repository.email_token(secret_digest(token), purpose)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


async def use(repository: IdentityRepository, row: EmailToken) -> bool:
    """Marks the link used; False if another request used it first."""
    return await repository.use_email_token(row.id, utcnow())
