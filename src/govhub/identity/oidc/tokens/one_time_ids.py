"""One-time identifiers (`jti`s of client assertions and DPoP proofs), recorded with group commit.

Refusing a replay must hold across app nodes, so every `jti` is written to `oidc_used_jtis`, whose
unique constraint decides. Written one request at a time, that is a transaction and (on SQLite) a disk
sync per token request, which caps a node at the disk's sync rate. Here requests hand their `jti` to one
writer that inserts everything waiting in a single statement and transaction, and answers each request
when it is durable; while one batch commits, the next gathers. A request waits no longer than it would
for its own commit, and throughput grows with concurrency.

The writer uses its own session: a recorded `jti` stays used even if the request then fails, as a
one-time identifier should. The queue and its one task are `kit.group_commit`'s (made on first use, on the
event loop that serves requests)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from govhub.db import Database
from govhub.identity.oidc.tokens.repository import TokensRepository
from govhub.kit.group_commit import GroupCommit

_Key = tuple[str, str, str]
#: Most rows in one INSERT (SQLite allows 32,766 bound parameters; four per row).
_MAX_BATCH = 2000
#: The group's one key: every id goes to one table.
_IDS = "jti"


class OneTimeIds:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._group: GroupCommit[str, tuple[_Key, datetime], bool] | None = None

    async def record(self, kind: str, issuer: str, jti: str, expires_at: datetime) -> bool:
        """True when this `jti` was not seen before (and is now recorded); False for a replay."""
        if self._group is None or self._group.loop is not asyncio.get_running_loop():
            self._group = GroupCommit(self._write_all, max_batch=_MAX_BATCH)
        return await self._group.submit(_IDS, ((kind, issuer, jti), expires_at))

    async def _write_all(self, _ids: str, batch: list[tuple[_Key, datetime]]) -> list[bool | Exception]:
        first: dict[_Key, datetime] = {}
        for key, expires_at in batch:
            first.setdefault(key, expires_at)
        async with self._database.sessions() as session, session.begin():
            new = await TokensRepository(session).record_jtis([(*key, exp) for key, exp in first.items()])
        answers: list[bool | Exception] = []
        for key, _exp in batch:
            # Within a batch, only the first of two equal jtis is new.
            answers.append(key in new)
            new.discard(key)
        return answers
