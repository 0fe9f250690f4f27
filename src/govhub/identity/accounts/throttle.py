"""Throttling of guesses and of mail, counted in the database so that every app node sees the same counts.

Sign-in attempts are counted per address typed (known or not, so the answer never tells which addresses
have accounts) and per client address; code attempts per account and per client address; mail sent per
address typed and per client address. A limit reached is answered 429 with how long to wait, until the
oldest counted event leaves the window (a sliding window).

An attempt is counted first and checked after (`Throttle.attempt`), before the guess is evaluated: its
events are written, the events in the window counted with them, and the attempt refused (its events
deleted) if that makes more than the limit, under a lock per key that every app node honours
(`IdentityRepository.lock_throttle_keys`), and committed at once. So however many guesses arrive together,
on however many nodes, at most the limit are evaluated; a count written after the 20 ms of a password hash
let 30 concurrent guesses through against a limit of 5. The commit is the request's own unit of work,
ended early on purpose: the count must stand whatever the request does next, neither SQLite's write lock
nor a key's lock may be held through the hash, and a second connection for it could leave requests
waiting on each other for the pool. A guess that turns out right takes its events back (`release`); a
wrong one leaves them counted."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from govhub.identity.accounts.repository import IdentityRepository
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


@dataclass(frozen=True)
class Attempt:
    """An attempt counted against its limits: the events that count it, to take back if it succeeds."""

    event_ids: tuple[int, ...]


def _too_many(
    checks: list[tuple[Limit, str]], counts: list[tuple[int, datetime | None]], now: datetime, what: str
) -> TooManyAttempts | None:
    waits = [
        max(1, math.ceil((oldest + limit.window - now).total_seconds()))
        for (limit, _subject), (count, oldest) in zip(checks, counts, strict=True)
        if count > limit.most and oldest is not None
    ]
    if not waits:
        return None
    wait = max(waits)
    return TooManyAttempts(
        f"There have been too many {what}. For your security, wait {_wait_text(wait)} and try again.",
        retry_after=wait,
    )


class Throttle:
    """Counts in the request's unit of work (`repository`), which `attempt` commits."""

    def __init__(self, repository: IdentityRepository) -> None:
        self.repository = repository

    async def attempt(self, checks: list[tuple[Limit, str]], *, what: str) -> Attempt:
        """Counts one attempt against every limit and commits the unit of work with it; or, when that makes
        more than a limit, takes it back and raises `TooManyAttempts` (`what` names the attempts in the
        message). Whatever the request wrote before is committed either way."""
        now = utcnow()
        session = self.repository.session
        keys = [(limit.action, subject) for limit, subject in checks]
        await self.repository.lock_throttle_keys(keys)
        ids, counts = await self.repository.add_and_count_events(
            keys, now, [now - limit.window for limit, _subject in checks]
        )
        refused = _too_many(checks, counts, now, what)
        event_ids = tuple(ids)
        if refused is not None:
            # A refused attempt counts for nothing: a guesser who keeps trying does not push the wait on.
            await self.repository.delete_events(event_ids)
        elif secrets.randbelow(200) == 0:
            # Now and then, not on every attempt: old events count for nothing.
            await self.repository.purge_events(now - _KEPT)
        await session.commit()
        if refused is not None:
            raise refused
        return Attempt(event_ids)

    async def release(self, attempt: Attempt) -> None:
        """The attempt was right: it no longer counts against any limit."""
        await self.repository.delete_events(attempt.event_ids)

    async def forget(self, limit: Limit, subject: str) -> None:
        """After a success, the failures of that account or address no longer count against it."""
        await self.repository.clear_events(limit.action, subject)
