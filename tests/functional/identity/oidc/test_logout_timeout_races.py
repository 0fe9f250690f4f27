"""Two app nodes ending the same timed-out sessions at once queue each back-channel logout once: the
sweeps take different sessions (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite runs units of work one at a
time), and a logout is queued only for the client sessions a conditional UPDATE ended. Each node here is a
`Database` of its own on a database whose writes are really committed, as a deployment's are."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select

from govhub.db import Database
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.accounts.sessions import IDLE_TIMEOUT
from govhub.identity.oidc.logout.delivery import end_timed_out_sessions
from govhub.identity.oidc.logout.repository import LogoutRepository
from govhub.identity.oidc.logout.service import SessionsEnded, sessions_ended
from govhub.identity.oidc.models import LogoutDelivery
from govhub.kit.clock import utcnow
from tests.conftest import make_settings
from tests.functional.identity.oidc.authorize_support import create_relying_party
from tests.functional.identity.oidc.logout_timeout_support import browser_session, signed_in_to
from tests.support.oidc import create_account

#: Never called: these tests queue logouts and count them, they do not send them.
UNUSED_URI = "http://127.0.0.1:9/logout"
NOTHING = {"sessions_ended": 0, "services_signed_out": 0, "logouts_queued": 0}


@pytest.fixture
async def nodes(migrated_url: str) -> AsyncIterator[tuple[Database, Database]]:
    settings = make_settings(migrated_url)
    one, two = Database(settings), Database(settings)
    try:
        yield one, two
    finally:
        await one.dispose()
        await two.dispose()


async def _timed_out_sessions(database: Database, count: int) -> list[str]:
    """`count` sessions that ran out, each signed in to a service with a back-channel URI and to one
    without; committed. Their sids."""
    async with database.sessions() as db, db.begin():
        await create_relying_party(db, backchannel_logout_uri=UNUSED_URI)
        await create_relying_party(db, "no-backchannel")
        account = await create_account(db)
        sids = []
        for _ in range(count):
            stale = await browser_session(db, account, started=utcnow() - timedelta(hours=13))
            await signed_in_to(db, stale, "parking-permits", "no-backchannel")
            sids.append(stale.sid)
        return sids


async def _deliveries(database: Database) -> list[tuple[str, str]]:
    async with database.sessions() as db:
        rows = await db.scalars(select(LogoutDelivery))
        return sorted((row.client_id, row.sid) for row in rows.all())


async def _end_in_a_transaction(database: Database, sids: Sequence[str]) -> SessionsEnded:
    async with database.sessions() as db, db.begin():
        return await sessions_ended(db, sids)


async def test_two_nodes_sweeping_at_once_queue_each_logout_once(nodes: tuple[Database, Database]) -> None:
    one, two = nodes
    sids = await _timed_out_sessions(one, 40)

    # Small batches, so the two rounds interleave transaction by transaction.
    first, second = await asyncio.gather(
        end_timed_out_sessions(one.sessions, batch=5), end_timed_out_sessions(two.sessions, batch=5)
    )

    assert first.sessions_ended + second.sessions_ended == 40
    assert first.services_signed_out + second.services_signed_out == 80
    assert first.logouts_queued + second.logouts_queued == 40
    assert await _deliveries(one) == sorted(("parking-permits", sid) for sid in sids)
    assert (await end_timed_out_sessions(two.sessions)).as_json() == NOTHING


async def test_a_sweep_leaves_alone_a_session_another_node_is_ending(
    nodes: tuple[Database, Database], backend: str
) -> None:
    one, two = nodes
    [sid] = await _timed_out_sessions(one, 1)
    now = utcnow()
    async with one.sessions() as db, db.begin():
        assert await LogoutRepository(db).take_timed_out(now, now - IDLE_TIMEOUT, 500) == [sid]
        other = asyncio.create_task(end_timed_out_sessions(two.sessions))
        if backend == "postgresql":
            # The row is locked by the first node: the second skips it and finishes without waiting.
            assert (await asyncio.wait_for(other, timeout=10)).as_json() == NOTHING
        else:
            # SQLite: the second node's unit of work waits for the first's to commit.
            await asyncio.sleep(0.3)
            assert not other.done()
        await IdentityRepository(db).delete_sessions([sid])
        assert await sessions_ended(db, [sid]) == SessionsEnded(services_signed_out=2, logouts_queued=1)
    assert (await other).as_json() == NOTHING
    assert await _deliveries(one) == [("parking-permits", sid)]


async def test_two_transactions_ending_one_session_queue_one_logout(nodes: tuple[Database, Database]) -> None:
    """A sign-out everywhere and a sweep (or two sweeps on nodes that read the session at the same moment)
    both ending one session: the second waits on the first's locks, then finds its client sessions ended
    already and queues nothing. This is the conditional UPDATE's guard, without the sweep's SKIP LOCKED."""
    one, two = nodes
    [sid] = await _timed_out_sessions(one, 1)
    async with one.sessions() as db, db.begin():
        assert await sessions_ended(db, [sid]) == SessionsEnded(services_signed_out=2, logouts_queued=1)
        other = asyncio.create_task(_end_in_a_transaction(two, [sid]))
        await asyncio.sleep(0.3)
        # PostgreSQL: blocked on the client sessions' row locks; SQLite: on the write lock.
        assert not other.done()
    assert await other == SessionsEnded(services_signed_out=0, logouts_queued=0)
    assert await _deliveries(one) == [("parking-permits", sid)]


async def test_a_round_with_nothing_due_takes_no_lock(nodes: tuple[Database, Database]) -> None:
    """Every node sweeps every round, so a round with nothing due must not queue behind other writers (on
    SQLite, where one writer holds the database at a time) or lock anything."""
    one, two = nodes
    async with one.sessions() as db, db.begin():
        # Another unit of work is writing (on SQLite: it holds the one write lock) and stays open.
        await create_account(db)
        swept = await asyncio.wait_for(end_timed_out_sessions(two.sessions), timeout=8)
    assert swept.as_json() == NOTHING
