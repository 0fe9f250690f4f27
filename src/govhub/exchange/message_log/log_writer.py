"""The gateway's message log writer: group commit.

Every exchange is logged, and one unit of work per exchange made the log the gateway's limit: each took
the write lock (SQLite) or the ledger's row lock (PostgreSQL) to append one leaf, and synced its commit to
disk, one after another. Here exchanges queue on the app node's writer, and one task writes whatever has
queued in one unit of work: one ledger append, one insert, one commit and one disk sync for the lot. While
it writes, the next exchanges queue, so the batches grow with the load and a lone exchange waits for no
one. Each caller still waits until its record has committed (`write` returns its ledger index), so an
answer is never logged later than it was before.

The checks of `exchange.service.prepare` run in the caller, so a bad record fails alone. A failure of the
batch's unit of work fails every caller in it, as it would have failed each of them one by one. The queue
and its one task are `kit.group_commit`'s, shared with the registries' writer and the one-time ids.
"""

from __future__ import annotations

import logging

from govhub.config import Settings
from govhub.db import Database
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.service import Exchange, prepare, record_prepared
from govhub.kit.group_commit import GroupCommit
from govhub.ledger import AppendMemo, Keyring, LedgerService

logger = logging.getLogger("govhub.exchange.log")

#: Records in one unit of work at most; more wait for the next.
MAX_BATCH = 500

#: One record and whether its message id was the caller's.
_Waiting = tuple[ExchangeRecord, bool]
#: The group's one key: every exchange goes to the one exchange ledger.
_LOG = "exchange"


class LogWriter:
    """One per app node and event loop (`gateway.log_writer_of`); `aclose` at shutdown writes what is left."""

    def __init__(self, database: Database, settings: Settings, keyring: Keyring) -> None:
        self._database = database
        self._settings = settings
        self._keyring = keyring
        self._group: GroupCommit[str, _Waiting, int] = GroupCommit(self._write_batch, max_batch=MAX_BATCH)
        #: The exchange ledger exists (made or seen by an earlier batch): not looked up again.
        self._ledger_ready = False
        #: The exchange ledger's frontier as this writer last left it: its read is skipped while no other
        #: node has appended since.
        self._memo = AppendMemo()
        self.loop = self._group.loop

    async def write(self, exchange: Exchange, *, id_chosen_by_caller: bool = True) -> int:
        """Log the exchange; its leaf index once its record has committed. `InvalidExchange` at once.
        `id_chosen_by_caller` False: the message id is a fresh UUID of the gateway's, taken by no record.
        A caller that goes away (its request cancelled) leaves its record to be written all the same."""
        return await self._group.submit(_LOG, (prepare(exchange), id_chosen_by_caller))

    async def _write_batch(self, _log: str, batch: list[_Waiting]) -> list[int | Exception]:
        chosen = {row.message_id for row, by_caller in batch if by_caller}
        rows = await self._commit([row for row, _ in batch], chosen)
        return [row.ledger_index for row in rows]

    async def _commit(self, rows: list[ExchangeRecord], chosen_ids: set[str]) -> list[ExchangeRecord]:
        async with self._database.batch_session(len(rows)) as session:
            ledgers = LedgerService.for_session(session, self._settings, self._keyring)
            written = await record_prepared(
                session,
                ledgers,
                rows,
                chosen_ids=chosen_ids,
                ledger_ready=self._ledger_ready,
                memo=self._memo,
            )
            await session.commit()
        self._ledger_ready = True
        return written

    async def aclose(self) -> None:
        """Wait until every record queued has been written (or has failed)."""
        await self._group.aclose()
