"""Checking an account's password in a test: the two steps the sign-in journey takes
(`govhub.identity.accounts.journeys.AccountJourneys.check_password`), without the throttle."""

from __future__ import annotations

from govhub.identity.accounts.models import Account
from govhub.identity.accounts.service import IdentityService


async def check_password(service: IdentityService, email: str, password: str) -> Account | None:
    """The account if `password` is its password; None for an unknown address or a wrong password."""
    account = await service.account_for_sign_in(email)
    return account if await service.password_matches(account, password) else None
