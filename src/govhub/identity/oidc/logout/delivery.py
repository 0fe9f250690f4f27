"""Back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0 §2.5): POST
`logout_token=<JWT>` to each service's `backchannel_logout_uri`, retried with exponential backoff until it
answers 2xx or `MAX_ATTEMPTS` run out; and the sweep that ends browser sessions that timed out, so the
services signed in through them are told too (nobody signs out of a session that just runs out).

A round is `end_timed_out_sessions` then `deliver_due_logouts`: the app runs rounds in the background
(`oidc_logout_delivery`) and operators or cron run one with `govhub identity deliver-logouts`. Nodes are
stateless: each claims a delivery with an `UPDATE ... WHERE next_attempt_at = <value read>` committed
before sending, so two nodes never send the same delivery at once; a node that dies mid-send leaves a
lease (`LEASE`) that runs out, and the delivery is tried again. Two nodes sweeping at once take different
sessions (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one writer at a time on SQLite), and a logout is queued
only for client sessions a conditional UPDATE ended (`logout.sessions_ended`), so none is queued twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govhub.config import Settings
from govhub.db import READ_ONLY_BEGIN
from govhub.identity.accounts import sessions as browser_sessions
from govhub.identity.oidc.authorize.repository import AuthorizeRepository
from govhub.identity.oidc.discovery.keys import sign_jwt
from govhub.identity.oidc.logout import service as logout
from govhub.identity.oidc.logout.repository import LogoutRepository
from govhub.identity.oidc.models import LogoutDelivery
from govhub.identity.oidc.subjects import Subjects
from govhub.kit.clock import utcnow

logger = logging.getLogger("govhub.identity.logout")

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: §2.4 recommends a short lifetime: the token is made afresh for every attempt.
LOGOUT_TOKEN_SECONDS = 120
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
#: How long a claimed delivery is held by the node sending it.
LEASE = timedelta(seconds=60)
#: Seconds to connect to, and hear back from, a service.
TIMEOUT_SECONDS = 5.0
BATCH = 100
#: Timed-out sessions ended per transaction, and transactions per round: a backlog (the first round after
#: an outage) is worked off over several rounds, each short, rather than in one long round that holds up
#: delivery.
SWEEP_BATCH = 500
SWEEP_BATCHES_PER_ROUND = 10


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour: after `attempts` failed attempts."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


@dataclass
class DeliveryRound:
    delivered: int = 0
    failed: int = 0
    abandoned: int = 0

    def as_json(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "abandoned": self.abandoned}


@dataclass
class SweepRound:
    sessions_ended: int = 0
    services_signed_out: int = 0
    logouts_queued: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "sessions_ended": self.sessions_ended,
            "services_signed_out": self.services_signed_out,
            "logouts_queued": self.logouts_queued,
        }


async def end_timed_out_sessions(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime | None = None,
    batch: int = SWEEP_BATCH,
) -> SweepRound:
    """End the browser sessions that timed out by `now` (default: the present): past `expires_at`, or
    unused for `sessions.IDLE_TIMEOUT`. Each is ended as signing out ends one (`sessions.end_sessions`):
    its row is deleted and `logout.sessions_ended` marks the services signed in through it signed out and
    queues their back-channel logouts, in one transaction per batch. Only the sessions this transaction
    deleted are ended here: one that another node or a sign-out ended meanwhile is theirs. Rows with no
    service signed in go too, so the timed-out range stays empty between rounds, and a round with nothing
    to do is one read that takes no lock (on SQLite it begins DEFERRED, so it never queues behind a
    writer)."""
    now = now or utcnow()
    idle_since = now - browser_sessions.IDLE_TIMEOUT
    outcome = SweepRound()
    async with sessions() as db:
        await db.connection(execution_options=READ_ONLY_BEGIN)
        if not await LogoutRepository(db).any_timed_out(now, idle_since):
            return outcome
    for _ in range(SWEEP_BATCHES_PER_ROUND):
        async with sessions() as db, db.begin():
            repository = LogoutRepository(db)
            sids = await repository.take_timed_out(now, idle_since, batch)
            deleted = await repository.delete_timed_out(sids, now, idle_since) if sids else []
            ended = await logout.sessions_ended(db, deleted)
        outcome.sessions_ended += len(deleted)
        outcome.services_signed_out += ended.services_signed_out
        outcome.logouts_queued += ended.logouts_queued
        if len(sids) < batch:
            break
    if outcome.sessions_ended:
        logger.info(
            "ended %d timed-out sessions: %d services signed out, %d back-channel logouts queued",
            outcome.sessions_ended,
            outcome.services_signed_out,
            outcome.logouts_queued,
        )
    return outcome


async def logout_token(db: AsyncSession, settings: Settings, delivery: LogoutDelivery) -> str | None:
    """§2.4: iss, aud, iat, exp, jti, sid, the service's own (pairwise) sub, the logout event; `typ`
    `logout+jwt`; never a nonce. None when the service or the account no longer exists."""
    repository = AuthorizeRepository(db)
    client = await repository.client(delivery.client_id)
    account = await repository.account(delivery.account_id)
    if client is None or account is None:
        return None
    now = int(utcnow().timestamp())
    subject = Subjects(settings).subject(
        subject_type=client.subject_type,
        sector_identifier=client.sector_identifier,
        account_public_id=account.public_id,
    )
    claims = {
        "iss": settings.public_url.rstrip("/"),
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(24),
        "sub": subject,
        "sid": delivery.sid,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    return await sign_jwt(
        db, claims, alg=client.id_token_signed_response_alg, typ="logout+jwt", settings=settings
    )


async def _send(http: httpx.AsyncClient, uri: str, token: str) -> str | None:
    """None when the service accepted the token; otherwise what went wrong."""
    try:
        response = await http.post(uri, data={"logout_token": token}, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


async def _attempt(  # noqa: PLR0917 (one private call site)
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    http: httpx.AsyncClient,
    delivery_id: int,
    seen: datetime,
    now: datetime,
) -> str:
    """One claimed attempt; "delivered", "failed", "abandoned" or "taken" (another node has it)."""
    async with sessions() as db, db.begin():
        repository = AuthorizeRepository(db)
        if not await repository.claim_delivery(delivery_id, seen, now + LEASE):
            return "taken"
        delivery = await repository.delivery(delivery_id)
        token = None if delivery is None else await logout_token(db, settings, delivery)
        uri = "" if delivery is None else delivery.uri
    # The claim is committed before the service is called, so other nodes leave this delivery alone.
    problem = (
        "the service or the account no longer exists" if token is None else await _send(http, uri, token)
    )
    async with sessions() as db, db.begin():
        delivery = await AuthorizeRepository(db).delivery(delivery_id)
        if delivery is None:
            return "taken"
        finished = utcnow()
        if problem is None:
            delivery.delivered_at = finished
            delivery.last_error = ""
            return "delivered"
        delivery.last_error = problem
        if token is None or delivery.attempts >= MAX_ATTEMPTS:
            delivery.abandoned_at = finished
            logger.warning("back-channel logout to %s abandoned: %s", delivery.client_id, problem)
            return "abandoned"
        delivery.next_attempt_at = max(finished, now) + retry_delay(delivery.attempts)
        logger.info("back-channel logout to %s failed, retrying: %s", delivery.client_id, problem)
        return "failed"


async def deliver_due_logouts(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    http: httpx.AsyncClient | None = None,
    now: datetime | None = None,
) -> DeliveryRound:
    """Send every delivery due at `now` (default: the present). Each delivery has its own transactions."""
    now = now or utcnow()
    async with sessions() as db:
        due = await AuthorizeRepository(db).due_deliveries(now, BATCH)
    outcome = DeliveryRound()
    async with _client(http) as client:
        for delivery_id, seen in due:
            result = await _attempt(sessions, settings, client, delivery_id, seen, now)
            if result == "delivered":
                outcome.delivered += 1
            elif result == "failed":
                outcome.failed += 1
            elif result == "abandoned":
                outcome.abandoned += 1
    return outcome


@asynccontextmanager
async def _client(given: httpx.AsyncClient | None) -> AsyncIterator[httpx.AsyncClient]:
    """The given client, left open; or one of our own for this round."""
    if given is not None:
        yield given
        return
    # Redirects off: a logout token goes to the registered address and nowhere else.
    async with httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT_SECONDS) as own:
        yield own


async def forget_expired_requests(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Housekeeping that rides along with delivery rounds: authorization journeys abandoned half-way and
    pushed requests never used are dropped once expired."""
    async with sessions() as db, db.begin():
        await AuthorizeRepository(db).forget_expired(utcnow())


class BackgroundDelivery:
    """The app's background task: a round every `interval` seconds (timed-out sessions ended first, so
    their logouts go out in the same round; expired authorization requests swept after). A failing round
    is logged, never fatal: the next round tries again. Stopping lets a round in progress finish (up to a
    limit), so a token already accepted by a service is recorded as delivered rather than sent again after
    the lease."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, interval: float
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="logout-delivery")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=2 * TIMEOUT_SECONDS)
            except TimeoutError:
                logger.warning("back-channel logout round stopped before it finished")

    async def _run(self) -> None:
        while not self._stop.is_set():
            # Each step on its own: a sweep that fails (say, the database restarting) does not hold up
            # the delivery of logouts already queued.
            try:
                await end_timed_out_sessions(self.sessions)
            except Exception:
                logger.exception("sweep of timed-out sessions failed")
            try:
                await deliver_due_logouts(self.sessions, self.settings)
                await forget_expired_requests(self.sessions)
            except Exception:
                logger.exception("back-channel logout round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)
