"""The SQL of ending browser sessions for logout: which sessions have timed out, and ending the services'
client sessions exactly once however many nodes (or sign-outs) end the same session at the same time.

The timed-out query reads `identity_sessions`, the accounts block's table, because the sweep that finds
them belongs to logout: it is the one reader that must see a session end when nobody signs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import SignInSession
from govhub.identity.oidc.models import ClientSession


@dataclass(frozen=True)
class EndedClientSession:
    sid: str
    client_id: str
    account_id: int


class LogoutRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def any_timed_out(self, now: datetime, idle_since: datetime) -> bool:
        """Whether any session has run out: a read that takes no lock, for rounds with nothing to do."""
        found = await self.session.scalar(
            select(SignInSession.id).where(self._timed_out(now, idle_since)).limit(1)
        )
        return found is not None

    async def take_timed_out(self, now: datetime, idle_since: datetime, limit: int) -> list[str]:
        """The `sid`s of up to `limit` sessions that ran out (`expires_at` passed, or unused since
        `idle_since`), locked for this transaction. On PostgreSQL `SKIP LOCKED` gives two nodes sweeping
        at once different sessions instead of making one wait for the other. SQLite has no row locks; its
        writers run one at a time, and `delete_timed_out` checks again what this read found."""
        rows = await self.session.scalars(
            select(SignInSession.sid)
            .where(self._timed_out(now, idle_since))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows.all())

    async def delete_timed_out(self, sids: Sequence[str], now: datetime, idle_since: datetime) -> list[str]:
        """Delete those of `sids` that have still run out, as signing out deletes a session; the `sid`s
        deleted. The rule is checked again on the newest row: a session signed out elsewhere meanwhile
        is not this sweep's to end, and on SQLite (which has no row locks) a session used at the last
        moment is left alone."""
        result = await self.session.execute(
            delete(SignInSession)
            .where(SignInSession.sid.in_(list(sids)), self._timed_out(now, idle_since))
            .returning(SignInSession.sid)
            .execution_options(synchronize_session=False)
        )
        return sorted(result.scalars().all())

    @staticmethod
    def _timed_out(now: datetime, idle_since: datetime) -> ColumnElement[bool]:
        # The same two rules as `sessions.current_session`, as two plain range conditions so that each can
        # use an index on its own column (PostgreSQL BitmapOr, SQLite MULTI-INDEX OR).
        return or_(SignInSession.expires_at <= now, SignInSession.last_seen_at <= idle_since)

    async def end_client_sessions(self, sids: Sequence[str], now: datetime) -> list[EndedClientSession]:
        """Mark the live client sessions of `sids` ended, and say which this statement ended. The
        `ended_at IS NULL` condition is the guard against ending one twice: of two transactions ending the
        same session at once, PostgreSQL makes the second wait for the first's row locks and then re-checks
        the condition (finding nothing to change), and SQLite runs them one after the other. So only the
        rows returned here are owed a logout, and each is owed it once."""
        result = await self.session.execute(
            update(ClientSession)
            .where(ClientSession.sid.in_(list(sids)), ClientSession.ended_at.is_(None))
            .values(ended_at=now)
            .returning(ClientSession.sid, ClientSession.client_id, ClientSession.account_id)
            # Objects of these rows already loaded in this session see the new `ended_at` too.
            .execution_options(synchronize_session="fetch")
        )
        ended = [EndedClientSession(row[0], row[1], row[2]) for row in result.all()]
        return sorted(ended, key=lambda each: (each.sid, each.client_id))

    async def end_client_sessions_of(
        self, account_id: int, client_id: str, now: datetime
    ) -> list[EndedClientSession]:
        """Mark the person's live client sessions with one service ended (they withdrew it), with the same
        guard against ending one twice as `end_client_sessions`."""
        result = await self.session.execute(
            update(ClientSession)
            .where(
                ClientSession.account_id == account_id,
                ClientSession.client_id == client_id,
                ClientSession.ended_at.is_(None),
            )
            .values(ended_at=now)
            .returning(ClientSession.sid, ClientSession.client_id, ClientSession.account_id)
            .execution_options(synchronize_session="fetch")
        )
        ended = [EndedClientSession(row[0], row[1], row[2]) for row in result.all()]
        return sorted(ended, key=lambda each: (each.sid, each.client_id))
