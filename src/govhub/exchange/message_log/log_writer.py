"""The gateway's message log writer: group commit.

Every exchange is logged, and one unit of work per exchange made the log the gateway's limit: each took
the write lock (SQLite) or the ledger's row lock (PostgreSQL) to append one leaf, and synced its commit to
disk, one after another. Here exchanges queue on the app node's writer, and one task writes whatever has
queued in one unit of work: one ledger append, one insert, one commit and one disk sync for the lot. While
it writes, the next exchanges queue, so the batches grow with the load and a lone exchange waits for no
one. Each caller still waits until its record has committed (`write` returns its ledger index), so an
answer is never logged later than it was before.

The checks of `exchange.service.prepare` run in the caller, so a bad record fails alone. A failure of the
batch's unit of work fails every caller in it, as it would have failed each of them one by one.
"""

from __future__ import annotations

import asyncio
import logging

from govhub.config import Settings
from govhub.db import Database
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.service import Exchange, prepare, record_prepared
from govhub.ledger import AppendMemo, Keyring, LedgerService

logger = logging.getLogger("govhub.exchange.log")

#: Records in one unit of work at most; more wait for the next.
MAX_BATCH = 500

_Waiting = tuple[ExchangeRecord, "asyncio.Future[int]", bool]


class LogWriter:
    """One per app node and event loop (`gateway.log_writer_of`); `aclose` at shutdown writes what is left."""

    def __init__(self, database: Database, settings: Settings, keyring: Keyring) -> None:
        self._database = database
        self._settings = settings
        self._keyring = keyring
        self._waiting: list[_Waiting] = []
        self._task: asyncio.Task[None] | None = None
        #: The exchange ledger exists (made or seen by an earlier batch): not looked up again.
        self._ledger_ready = False
        #: The exchange ledger's frontier as this writer last left it: its read is skipped while no other
        #: node has appended since.
        self._memo = AppendMemo()
        self.loop = asyncio.get_running_loop()

    async def write(self, exchange: Exchange, *, id_chosen_by_caller: bool = True) -> int:
        """Log the exchange; its leaf index once its record has committed. `InvalidExchange` at once.
        `id_chosen_by_caller` False: the message id is a fresh UUID of the gateway's, taken by no record."""
        row = prepare(exchange)
        written: asyncio.Future[int] = self.loop.create_future()
        self._waiting.append((row, written, id_chosen_by_caller))
        # The task takes every record queued before it looks again; once it has found none it has ended in
        # the same step, so a record queued later always finds it running or done.
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run())
        # A caller that goes away (its request cancelled) leaves its record to be written all the same.
        return await asyncio.shield(written)

    async def _run(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            chosen = {row.message_id for row, _, by_caller in batch if by_caller}
            try:
                rows = await self._commit([row for row, _, _ in batch], chosen)
            except Exception as error:  # handed to every caller of the batch
                for _, written, _ in batch:
                    if not written.done():
                        written.set_exception(error)
                continue
            for row, (_, written, _) in zip(rows, batch, strict=True):
                if not written.done():
                    written.set_result(row.ledger_index)

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
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
