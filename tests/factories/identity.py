"""Identity's test data: accounts, and citizens who sign in with a password and an authenticator app."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import totp
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.service import IdentityService, NewAccount

PASSWORD = "correct horse battery staple"


@dataclass
class Citizen:
    """What a person types to sign in: their email, password and, with the app, its TOTP secret."""

    email: str
    password: str
    secret: str | None


async def create_account(
    session: AsyncSession,
    settings: Settings,
    email: str = "ann@example.org",
    *,
    secret: str | None = None,
    identity_level: str = "P0",
    email_verified: bool = True,
) -> Account:
    """An account with the tests' password (and an authenticator app if `secret` is given)."""
    service = IdentityService.for_session(session, settings)
    account = await service.create_account(
        NewAccount(email, PASSWORD, secret, identity_level, email_verified)
    )
    await session.flush()
    return account


async def create_citizen(
    session: AsyncSession,
    settings: Settings,
    email: str = "ann@example.org",
    *,
    with_app: bool = True,
    identity_level: str = "P0",
) -> Citizen:
    """A person with a verified email, set up with an authenticator app unless `with_app` is False."""
    secret = totp.new_secret() if with_app else None
    await create_account(session, settings, email, secret=secret, identity_level=identity_level)
    return Citizen(email, PASSWORD, secret)
