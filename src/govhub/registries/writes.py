"""Changes to records through the data API, with group commit.

One unit of work per write held the register's lock (its row on PostgreSQL, the write lock on SQLite)
through its own ledger append and commit, so writes to one register went one at a time, whatever the number
of clients or app nodes. Here every write to a register queues on the app node's writer
(`kit.group_commit`, keyed by register), and one task makes whatever has queued in one unit of work: the
register's lock taken once, each write run in turn on that session (so each sees the earlier ones: create's
duplicate check, update's match), then ONE ledger append and ONE insert of the entries for the lot, one
commit. Each caller is answered only once the commit that holds its write has returned, as before; while a
batch commits the next one queues, so batches grow with the load and a lone write waits for no one. Other
app nodes' batches take the same lock, so the register's entries and ledger stay in one order.

What runs where:
- In the caller, before queuing: the access check (`open`, in a short unit of work of the request's own,
  closed before it waits, so a waiting request holds no connection) and the checks that need no database
  (a new record's schema), so a bad record never reaches a batch.
- In the batch: a write's domain error raised before it changed anything (RecordNotFound, DuplicateRecord,
  InvalidRecord of an update...) fails that caller alone; the batch goes on without it. Consecutive plain
  creates are made together (one key lookup, one insert of records, as `create_many` does), a key that
  exists or that an earlier create of the batch takes failing alone with 409.
- Anything else (an IntegrityError of a unique field index, which spoils the transaction on PostgreSQL; a
  database error) rolls the whole batch back, and its writes are made again one at a time, each in its own
  unit of work, so only the bad one fails.

The bulk path (`create_many`, the command line) keeps its own unit of work: it is one caller already.
At shutdown the node's hook waits until everything queued has been written.

Why a writer per app node and not a queue in the database: the lock is what orders writes across nodes;
within a node, an asyncio queue costs nothing, and a write is acknowledged only after its commit, so a node
killed mid-batch loses only unacknowledged writes (the batch's transaction never committed).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from govhub.config import Settings
from govhub.db import Database
from govhub.kit.errors import GovhubError
from govhub.kit.group_commit import GroupCommit
from govhub.ledger import AppendMemo, Keyring
from govhub.registries.caller import Caller
from govhub.registries.service import Opened, RegistriesService

logger = logging.getLogger("govhub.registries.writes")

#: Writes in one unit of work at most; more wait for the next.
MAX_BATCH = 500

Change = Callable[[RegistriesService], Awaitable[Any]]


@dataclass(frozen=True)
class Write:
    """One caller's change to a register: a plain create (its checked key and record), or any other."""

    opened: Opened
    create: tuple[str, Mapping[str, Any]] | None = None
    change: Change | None = None


class RegisterWriter:
    """One per app node and event loop (`dependencies.register_writes`); `aclose` at shutdown writes what
    is left."""

    def __init__(self, database: Database, settings: Settings, keyring: Keyring) -> None:
        self._database = database
        self._settings = settings
        self._keyring = keyring
        self._group: GroupCommit[int, Write, Any] = GroupCommit(self._write, max_batch=MAX_BATCH)
        #: Each register ledger's frontier as this node last left it (`AppendMemo`).
        self._memos: dict[int, AppendMemo] = {}
        self.loop = self._group.loop

    async def open(self, name: str, version: str, caller: Caller) -> Opened:
        """The register and version `caller` may change, checked in a unit of work closed at once."""
        async with self._database.unit_of_work() as session:
            service = RegistriesService.for_session(session, self._settings, self._keyring)
            return await service.open(name, version, caller, write=True)

    async def create(self, opened: Opened, content: Mapping[str, Any]) -> dict[str, Any]:
        key = RegistriesService.check_create(opened, content)
        result: dict[str, Any] = await self._group.submit(
            opened.register.id, Write(opened, create=(key, content))
        )
        return result

    async def change(self, opened: Opened, change: Change) -> Any:
        """`change` run on the batch's service; its result once committed."""
        return await self._group.submit(opened.register.id, Write(opened, change=change))

    async def aclose(self) -> None:
        await self._group.aclose()

    async def _write(self, register_id: int, writes: list[Write]) -> list[Any]:
        try:
            return await self._together(register_id, writes)
        except Exception:
            if len(writes) == 1:
                raise
            logger.info(
                "a batch of %d writes to register %d failed; writing them one by one",
                len(writes),
                register_id,
            )
        outcomes: list[Any] = []
        for write in writes:
            try:
                outcomes += await self._together(register_id, [write])
            except Exception as error:  # this write's alone
                outcomes.append(error)
        return outcomes

    async def _together(self, register_id: int, writes: list[Write]) -> list[Any]:
        """Make `writes` in one unit of work; their outcomes (a domain error for a write that failed before
        changing anything). Raises, rolled back, when a write failed after it began changing records."""
        memo = self._memos.setdefault(register_id, AppendMemo())
        async with self._database.batch_session(len(writes)) as session:
            service = RegistriesService.for_session(session, self._settings, self._keyring)
            batch = await service.begin_batch(register_id)
            outcomes: list[Any] = []
            position = 0
            while position < len(writes):
                write = writes[position]
                if write.create is not None:
                    run = _creates_from(writes, position)
                    outcomes += await service.create_each(write.opened, [w.create for w in run if w.create])
                    position += len(run)
                    continue
                if write.change is None:
                    raise TypeError("a write is a create or a change")
                begun = batch.changes_begun
                try:
                    outcomes.append(await write.change(service))
                except GovhubError as error:
                    if batch.changes_begun != begun:
                        raise
                    outcomes.append(error)
                position += 1
            await service.end_batch(memo)
            await session.commit()
        return outcomes


def _creates_from(writes: list[Write], start: int) -> list[Write]:
    """The plain creates from `start` on, up to the first other write or one of another version."""
    version_id = writes[start].opened.version.id
    run: list[Write] = []
    for write in writes[start:]:
        if write.create is None or write.opened.version.id != version_id:
            break
        run.append(write)
    return run
