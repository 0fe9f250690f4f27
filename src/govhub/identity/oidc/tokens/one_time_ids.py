"""One-time identifiers (`jti`s of client assertions and DPoP proofs), recorded with group commit.

Refusing a replay must hold across app nodes, so every `jti` is written to `oidc_used_jtis`, whose
unique constraint decides. Written one request at a time, that is a transaction and (on SQLite) a disk
sync per token request, which caps a node at the disk's sync rate. Here requests hand their `jti` to one
writer that inserts everything waiting in a single statement and transaction, and answers each request
when it is durable; while one batch commits, the next gathers. A request waits no longer than it would
for its own commit, and throughput grows with concurrency.

The writer uses its own session: a recorded `jti` stays used even if the request then fails, as a
one-time identifier should."""

from __future__ import annotations

import asyncio
from datetime import datetime

from govhub.db import Database
from govhub.identity.oidc.tokens.repository import TokensRepository

_Key = tuple[str, str, str]
#: Most rows in one INSERT (SQLite allows 32,766 bound parameters; four per row).
_MAX_BATCH = 2000


class OneTimeIds:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._waiting: list[tuple[_Key, datetime, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, kind: str, issuer: str, jti: str, expires_at: datetime) -> bool:
        """True when this `jti` was not seen before (and is now recorded); False for a replay."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(((kind, issuer, jti), expires_at, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:_MAX_BATCH], self._waiting[_MAX_BATCH:]
            first: dict[_Key, datetime] = {}
            for key, expires_at, _future in batch:
                first.setdefault(key, expires_at)
            try:
                async with self._database.sessions() as session, session.begin():
                    new = await TokensRepository(session).record_jtis(
                        [(*key, exp) for key, exp in first.items()]
                    )
            except Exception as error:  # every waiting request hears of the failure
                for _key, _exp, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for key, _exp, future in batch:
                # Within a batch, only the first of two equal jtis is new.
                fresh = key in new
                new.discard(key)
                if not future.done():
                    future.set_result(fresh)
