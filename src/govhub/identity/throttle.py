"""Throttling of guesses and of mail, counted in the database so that every app node sees the same counts.

Sign-in attempts are counted per address typed (known or not, so the answer never tells which addresses
have accounts) and per client address; code attempts per account and per client address; mail sent per
address typed and per client address. A limit reached is answered 429 with how long to wait, until the
oldest counted event leaves the window (a sliding window)."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from govhub.identity.models import ThrottleEvent
from govhub.identity.repository import IdentityRepository
from govhub.kit.clock import utcnow
from govhub.kit.errors import GovhubError

#: Events older than this are deleted now and then; no window is longer.
_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    action: str
    most: int
    window: timedelta


SIGN_IN_PER_EMAIL = Limit("sign-in", 5, timedelta(minutes=15))
SIGN_IN_PER_CLIENT = Limit("sign-in-client", 30, timedelta(minutes=15))
CODE_PER_ACCOUNT = Limit("code", 5, timedelta(minutes=15))
CODE_PER_CLIENT = Limit("code-client", 30, timedelta(minutes=15))
MAIL_PER_EMAIL = Limit("mail", 3, timedelta(hours=1))
MAIL_PER_CLIENT = Limit("mail-client", 20, timedelta(hours=1))


class TooManyAttempts(GovhubError):
    status = 429
    slug = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def email_subject(email: str) -> str:
    return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def account_subject(account_id: int) -> str:
    return f"account:{account_id}"


def client_subject(address: str) -> str:
    return f"client:{address[:45]}"


def _wait_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


class Throttle:
    def __init__(self, repository: IdentityRepository) -> None:
        self.repository = repository

    async def check(self, checks: list[tuple[Limit, str]], *, what: str) -> None:
        """Raises `TooManyAttempts` when any limit is reached; `what` names the attempts in the message."""
        now = utcnow()
        waits = []
        for limit, subject in checks:
            count, oldest = await self.repository.count_events(limit.action, subject, now - limit.window)
            if count >= limit.most and oldest is not None:
                waits.append(max(1, math.ceil((oldest + limit.window - now).total_seconds())))
        if waits:
            wait = max(waits)
            raise TooManyAttempts(
                f"There have been too many {what}. For your security, wait {_wait_text(wait)} and try again.",
                retry_after=wait,
            )

    async def count(self, checks: list[tuple[Limit, str]]) -> None:
        now = utcnow()
        await self.repository.add_events(
            [ThrottleEvent(action=limit.action, subject=subject, at=now) for limit, subject in checks]
        )
        # Now and then, not on every request: old events count for nothing.
        if secrets.randbelow(200) == 0:
            await self.repository.purge_events(now - _KEPT)

    async def forget(self, limit: Limit, subject: str) -> None:
        """After a success, the failures of that account or address no longer count against it."""
        await self.repository.clear_events(limit.action, subject)
