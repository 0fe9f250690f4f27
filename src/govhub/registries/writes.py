"""Changes to records through the data API, with group commit.

One unit of work per write held the register's lock (its row on PostgreSQL, the write lock on SQLite)
through its own ledger append and commit, so writes to one register went one at a time, whatever the number
of clients or app nodes. Here every write to a register queues on the app node's writer
(`kit.group_commit`, keyed by register name), and one task makes whatever has queued in one unit of work: the
register's lock taken once, each write run in turn on that session (so each sees the earlier ones: create's
duplicate check, update's match), then ONE ledger append and ONE insert of the entries for the lot, one
commit. Each caller is answered only once the commit that holds its write has returned, as before; while a
batch commits the next one queues, so batches grow with the load and a lone write waits for no one. Other
app nodes' batches take the same lock, so the register's entries and ledger stay in one order.

What runs where:
- In the caller, before queuing: nothing that needs the database. The request has no unit of work of its
  own: the caller is identified from what it sent (`callers.caller_of`), and the write is queued under the
  register's name.
- In the batch, per write but before anything is changed: the access check (`RegistriesService.open`, the
  one chokepoint, once per version and caller in the batch) and a new record's schema check (which needs the
  version's schema). An earlier version of this module checked both in the caller, in a short unit of work
  of the request's own: with 16 clients on a node those were 16 connections checked out at once, past the
  pool's size, and the overflow connections opened and closed per request cost more than the writes (seen
  while profiling); in the batch the checks share its one connection. A refused write (RegisterNotFound,
  CallerUnknown, NotGranted, InvalidRecord) fails that caller alone, with the same answer as before.
- In the batch: a write's domain error raised before it changed anything (RecordNotFound, DuplicateRecord,
  InvalidRecord of an update...) fails that caller alone; the batch goes on without it. Consecutive plain
  creates are made together (one key lookup, one insert of records, as `create_many` does), a key that
  exists or that an earlier create of the batch takes failing alone with 409. On PostgreSQL the creates'
  keys are looked up in the statement that takes the lock (`RegistriesService.begin_batch`): one round trip
  less while the lock is held.
- Anything else (an IntegrityError of a unique field index, which spoils the transaction on PostgreSQL, or
  of the key, made meanwhile through another node where the lock's statement could not see it; a
  database error) rolls the whole batch back, and its writes are made again one at a time, each in its own
  unit of work, so only the bad one fails. Not a failed commit: whether it was made is then unknown, and
  making the writes again could make them twice, so each caller of the batch gets the error.

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
from govhub.registries.errors import InvalidRecord
from govhub.registries.records import with_uuid
from govhub.registries.service import Opened, RegistriesService

logger = logging.getLogger("govhub.registries.writes")

#: Writes in one unit of work at most; more wait for the next.
MAX_BATCH = 500

Change = Callable[[RegistriesService, Opened], Awaitable[Any]]


@dataclass(frozen=True)
class Write:
    """One caller's change to a register version: a plain create (its record), or any other."""

    version: str
    caller: Caller
    create: Mapping[str, Any] | None = None
    change: Change | None = None


class RegisterWriter:
    """One per app node and event loop (`dependencies.register_writes`); `aclose` at shutdown writes what
    is left."""

    def __init__(self, database: Database, settings: Settings, keyring: Keyring) -> None:
        self._database = database
        self._settings = settings
        self._keyring = keyring
        self._group: GroupCommit[str, Write, Any] = GroupCommit(self._write, max_batch=MAX_BATCH)
        #: Each register ledger's frontier as this node last left it (`AppendMemo`), by register name.
        self._memos: dict[str, AppendMemo] = {}
        self.loop = self._group.loop
        #: Units of work committed, and the writes they held (failed ones included): their ratio is the
        #: mean batch.
        self.batches_committed = 0
        self.writes_committed = 0

    async def create(
        self, name: str, version: str, caller: Caller, content: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a record in register `name`; the record once committed."""
        result: dict[str, Any] = await self._group.submit(name, Write(version, caller, create=content))
        return result

    async def change(self, name: str, version: str, caller: Caller, change: Change) -> Any:
        """`change` run on the batch's service with the register opened for `caller`; its result once
        committed."""
        return await self._group.submit(name, Write(version, caller, change=change))

    async def aclose(self) -> None:
        await self._group.aclose()

    async def _write(self, name: str, writes: list[Write]) -> list[Any]:
        try:
            return await self._together(name, writes)
        except _CommitFailed as failed:
            # Whether the commit was made is unknown (the connection may have dropped after it): making
            # the writes again could make them twice. Every caller hears of the failure (a 500).
            return [failed.error] * len(writes)
        except Exception:
            if len(writes) == 1:
                raise
            logger.info(
                "a batch of %d writes to register %r failed; writing them one by one", len(writes), name
            )
        outcomes: list[Any] = []
        for write in writes:
            try:
                # Keys looked up after the lock, not with it: a clash that the lock's snapshot missed is
                # then found, and refused as a duplicate.
                outcomes += await self._together(name, [write], keys_with_lock=False)
            except Exception as error:  # this write's alone
                outcomes.append(error)
        return outcomes

    async def _together(self, name: str, writes: list[Write], *, keys_with_lock: bool = True) -> list[Any]:
        """Make `writes` in one unit of work; their outcomes (a domain error for a write that failed before
        changing anything). Raises, rolled back, when a write failed after it began changing records.
        `keys_with_lock`: look the creates' keys up in the lock's statement (`begin_batch`)."""
        async with self._database.batch_session(len(writes)) as session:
            service = RegistriesService.for_session(session, self._settings, self._keyring)
            opened = await _open_each(service, name, writes)
            register_id = next((o.register.id for o in opened if isinstance(o, Opened)), None)
            if register_id is None:  # no write may go on: nothing to lock or commit
                return opened
            create_keys = _create_keys(writes, opened) if keys_with_lock else set()
            batch = await service.begin_batch(register_id, create_keys)
            outcomes: list[Any] = []
            position = 0
            while position < len(writes):
                write, this = writes[position], opened[position]
                if isinstance(this, GovhubError):
                    outcomes.append(this)
                    position += 1
                elif write.create is not None:
                    run = _creates_from(writes, opened, position)
                    outcomes += await _create_each(service, this, [w.create or {} for w in run])
                    position += len(run)
                else:
                    if write.change is None:
                        raise TypeError("a write is a create or a change")
                    begun = batch.changes_begun
                    try:
                        outcomes.append(await write.change(service, this))
                    except GovhubError as error:
                        if batch.changes_begun != begun:
                            raise
                        outcomes.append(error)
                    position += 1
            await service.end_batch(self._memos.setdefault(name, AppendMemo()))
            try:
                await session.commit()
            except Exception as error:
                raise _CommitFailed(error) from error
        self.batches_committed += 1
        self.writes_committed += len(writes)
        return outcomes


class _CommitFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def _open_each(
    service: RegistriesService, name: str, writes: list[Write]
) -> list[Opened | GovhubError]:
    """Each write's register version opened for its caller (`RegistriesService.open`: the access check), or
    the error that says why not; checked once per version and caller in the batch."""
    checked: dict[tuple[str, str | None], Opened | GovhubError] = {}
    opened: list[Opened | GovhubError] = []
    for write in writes:
        key = (write.version, write.caller.client)
        if key not in checked:
            try:
                checked[key] = await service.open(name, write.version, write.caller, write=True)
            except GovhubError as error:
                checked[key] = error
        opened.append(checked[key])
    return opened


async def _create_each(
    service: RegistriesService, opened: Opened, records: list[Mapping[str, Any]]
) -> list[Any]:
    """Plain creates: a record that breaks the schema fails alone; the others are made together."""
    outcomes: list[Any] = []
    valid: list[tuple[str, Mapping[str, Any]]] = []
    for record in records:
        content = with_uuid(opened.version.record_schema, record)
        try:
            valid.append((service.check_create(opened, content), content))
            outcomes.append(None)
        except InvalidRecord as error:
            outcomes.append(error)
    made = iter(await service.create_each(opened, valid) if valid else [])
    return [next(made) if outcome is None else outcome for outcome in outcomes]


def _create_keys(writes: list[Write], opened: list[Opened | GovhubError]) -> set[str]:
    """The keys the batch's plain creates name (checked later, with the rest of each record)."""
    keys: set[str] = set()
    for write, this in zip(writes, opened, strict=True):
        if write.create is not None and isinstance(this, Opened):
            key = write.create.get(this.version.key_field)
            if isinstance(key, (str, int)) and not isinstance(key, bool):
                keys.add(str(key))
    return keys


def _creates_from(writes: list[Write], opened: list[Opened | GovhubError], start: int) -> list[Write]:
    """The plain creates from `start` on, up to the first other write, or one of another version or one
    not allowed."""
    first = opened[start]
    run: list[Write] = []
    for write, this in zip(writes[start:], opened[start:], strict=True):
        if write.create is None or not isinstance(this, Opened) or not isinstance(first, Opened):
            break
        if this.version.id != first.version.id:
            break
        run.append(write)
    return run
