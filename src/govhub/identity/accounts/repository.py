"""All SQL of the identity block's accounts: accounts, sign-in sessions, email links, recovery codes and
throttling counts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from govhub.identity.accounts.models import Account, EmailToken, RecoveryCode, SignInSession, ThrottleEvent


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- accounts ---------------------------------------------------------------------------------------

    async def account_by_email(self, email: str) -> Account | None:
        return await self.session.scalar(select(Account).where(Account.email == email))

    async def account_by_id(self, account_id: int) -> Account | None:
        return await self.session.get(Account, account_id)

    async def emails_of(self, account_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        rows = await self.session.execute(select(Account.id, Account.email).where(Account.id.in_(ids)))
        return {row[0]: row[1] for row in rows}

    async def lock_account(self, account_id: int) -> None:
        """Holds the account's row until the transaction ends, so that what is counted per account (proving
        attempts) is counted and checked by one request at a time, on every node. (On SQLite the marked
        read takes the one write lock: `govhub.db`.)"""
        await self.session.execute(select(Account.id).where(Account.id == account_id).with_for_update())

    async def accounts(self) -> list[Account]:
        return list(await self.session.scalars(select(Account).order_by(Account.email)))

    async def add_account(self, account: Account) -> Account:
        self.session.add(account)
        await self.session.flush()
        return account

    async def claim_totp_step(self, account_id: int, step: int) -> bool:
        """Records `step` as the account's last TOTP step used, only if it is later than the last: of two
        requests racing with one code, the database lets one through."""
        result = await self.session.execute(
            update(Account)
            .where(
                Account.id == account_id, or_(Account.totp_last_step.is_(None), Account.totp_last_step < step)
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    # --- sessions ---------------------------------------------------------------------------------------

    async def session_with_account(self, token_hash: str) -> tuple[SignInSession, Account] | None:
        row = (
            await self.session.execute(
                select(SignInSession, Account)
                .join(Account, Account.id == SignInSession.account_id)
                .where(SignInSession.token_hash == token_hash)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def add_session(self, sign_in: SignInSession) -> SignInSession:
        self.session.add(sign_in)
        await self.session.flush()
        return sign_in

    async def sessions_of(self, account_id: int, now: datetime) -> list[SignInSession]:
        """The account's live sessions, most recently seen first."""
        return list(
            await self.session.scalars(
                select(SignInSession)
                .where(
                    SignInSession.account_id == account_id,
                    SignInSession.expires_at > now,
                    SignInSession.auth_level.is_not(None),
                )
                .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
            )
        )

    async def ended_session_sids(self, account_id: int, now: datetime, idle_since: datetime) -> list[str]:
        """The account's sessions that have run out (too old, or idle since before `idle_since`)."""
        return list(
            await self.session.scalars(
                select(SignInSession.sid).where(
                    SignInSession.account_id == account_id,
                    (SignInSession.expires_at <= now) | (SignInSession.last_seen_at <= idle_since),
                )
            )
        )

    async def all_session_sids(self, account_id: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(SignInSession.sid).where(SignInSession.account_id == account_id)
            )
        )

    async def mark_session_seen(self, sign_in: SignInSession, at: datetime) -> None:
        """A plain UPDATE, not a change to the loaded row: if the session was ended (deleted) meanwhile, by
        signing out elsewhere or the timeout sweep, it updates nothing, where an ORM flush would fail."""
        await self.session.execute(
            update(SignInSession).where(SignInSession.id == sign_in.id).values(last_seen_at=at)
        )
        set_committed_value(sign_in, "last_seen_at", at)

    async def delete_sessions(self, sids: Sequence[str]) -> None:
        if sids:
            await self.session.execute(delete(SignInSession).where(SignInSession.sid.in_(list(sids))))

    # --- email links ------------------------------------------------------------------------------------

    async def add_email_token(self, token: EmailToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def email_token(self, token_hash: str, purpose: str) -> EmailToken | None:
        return await self.session.scalar(
            select(EmailToken).where(EmailToken.token_hash == token_hash, EmailToken.purpose == purpose)
        )

    async def use_email_token(self, token_id: int, now: datetime) -> bool:
        """Marks the link used; False if it already was (two tabs racing), so only one of them wins."""
        result = await self.session.execute(
            update(EmailToken)
            .where(EmailToken.id == token_id, EmailToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def retire_email_tokens(self, email: str, purpose: str, now: datetime) -> None:
        """Older unused links of the same kind stop working when a new one is sent or one is used."""
        await self.session.execute(
            update(EmailToken)
            .where(EmailToken.email == email, EmailToken.purpose == purpose, EmailToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )

    # --- recovery codes ---------------------------------------------------------------------------------

    async def replace_recovery_codes(self, account_id: int, codes: list[RecoveryCode]) -> None:
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
        self.session.add_all(codes)
        await self.session.flush()

    async def unused_recovery_codes(self, account_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
        )
        return int(count or 0)

    async def use_recovery_code(self, account_id: int, code_hash: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.account_id == account_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    # --- throttling -------------------------------------------------------------------------------------

    async def lock_throttle_keys(self, keys: Sequence[tuple[str, str]]) -> None:
        """Serialise the attempts on these (action, subject) keys until this transaction ends, on every app
        node: PostgreSQL takes a transaction-level advisory lock per key, in one order so that two attempts
        never deadlock (READ COMMITTED alone would let concurrent inserts miss each other until commit).
        SQLite needs none: the transaction's first write takes its one write lock, which every connection
        and process honours, and holds it to the end."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for key in sorted({_advisory_key(action, subject) for action, subject in keys}):
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def add_and_count_events(
        self, events: Sequence[tuple[str, str]], at: datetime, windows: Sequence[datetime]
    ) -> tuple[list[int], list[tuple[int, datetime | None]]]:
        """Write one event per (action, subject) at `at`, then count each key's events since its window's
        start (`windows`, in the same order), these included: their ids, and per key how many and the
        oldest. Two statements, not one per event and per key: they run on every sign-in and every code."""
        inserted = await self.session.execute(
            insert(ThrottleEvent).returning(ThrottleEvent.id),
            [{"action": action, "subject": subject, "at": at} for action, subject in events],
        )
        ids = list(inserted.scalars())
        keyed = [
            and_(ThrottleEvent.action == action, ThrottleEvent.subject == subject, ThrottleEvent.at > since)
            for (action, subject), since in zip(events, windows, strict=True)
        ]
        columns = [
            column
            for key in keyed
            for column in (func.count().filter(key), func.min(ThrottleEvent.at).filter(key))
        ]
        row: Sequence[Any] = (await self.session.execute(select(*columns).where(or_(*keyed)))).one()
        return ids, [(int(row[2 * i] or 0), row[2 * i + 1]) for i in range(len(keyed))]

    async def delete_events(self, event_ids: Sequence[int]) -> None:
        if event_ids:
            await self.session.execute(
                delete(ThrottleEvent)
                .where(ThrottleEvent.id.in_(event_ids))
                .execution_options(synchronize_session=False)
            )

    async def clear_events(self, action: str, subject: str) -> None:
        await self.session.execute(
            delete(ThrottleEvent).where(ThrottleEvent.action == action, ThrottleEvent.subject == subject)
        )

    async def purge_events(self, before: datetime) -> None:
        await self.session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < before))


def _advisory_key(action: str, subject: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit integer) for one throttle key. Two keys that share
    one only wait for each other now and then; they never count together."""
    digest = hashlib.sha256(f"govhub throttle\0{action}\0{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
