"""`AppendMemo`: a long-lived appender skips the frontier read only while the tree is the one it left.
Appends with the memo, interleaved with appends by another writer (no memo, as another app node) and a
batch that was rolled back, must build exactly the RFC 9162 reference tree. On PostgreSQL the frontier
comes with the lock (one statement), so no append reads it apart, and one the lock's statement saw only
part of (its snapshot predates a wait for the lock) reads the rest."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.merkle import NodeKey
from govhub.ledger.repository import LedgerRepository, LogHead
from govhub.ledger.service import AppendMemo, LedgerService
from tests.support.ledgers import create_ledger
from tests.support.rfc9162 import LEAVES, mth

NAME = "memo"


class CountingRepository(LedgerRepository):
    """Counts frontier reads, to show which appends skipped theirs."""

    node_reads = 0

    async def read_nodes(self, log_id: int, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        CountingRepository.node_reads += 1
        return await super().read_nodes(log_id, keys)


class ForgetfulLock(CountingRepository):
    """A lock whose statement saw none of the frontier, as when it waited for another writer's commit."""

    async def lock_for_append(self, name: str) -> tuple[LogHead, dict[NodeKey, bytes]] | None:
        locked = await super().lock_for_append(name)
        return None if locked is None else (locked[0], {})


async def test_appends_with_a_memo_build_the_reference_tree_around_other_writers(
    session: AsyncSession, settings: Settings, backend: str
) -> None:
    await create_ledger(session, settings, NAME, [], batch=1)
    base = LedgerService.for_session(session, settings)
    ours = LedgerService(CountingRepository(session), settings, base.keyring)
    memo = AppendMemo()
    plan = [("ours", 3), ("ours", 1), ("ours", 5), ("other", 2), ("ours", 4), ("ours", 7), ("other", 1)]
    plan += [("ours", 6), ("ours", 1)]
    size, reads_expected = 0, 0
    CountingRepository.node_reads = 0
    previous = "other"
    for writer, count in plan:
        batch = LEAVES[size : size + count]
        if writer == "ours":
            result = await ours.append(NAME, batch, memo)
            # The first after another writer's reads the frontier (an empty tree has none); the rest not.
            # On PostgreSQL the lock's statement has read it already.
            reads_expected += previous != "ours" and backend == "sqlite" and size > 0
        else:
            result = await base.append(NAME, batch)
        size += count
        previous = writer
        assert (result.size, result.root_hash) == (size, mth(0, size))
    assert CountingRepository.node_reads == reads_expected
    head = await base.head(NAME)
    assert (head.size, head.root_hash) == (size, mth(0, size))
    for index in range(size):
        proof = await base.inclusion_proof(NAME, index, size)
        assert proof.leaf_hash == mth(index, index + 1)


async def test_a_memo_of_a_batch_that_did_not_commit_is_not_used(
    session: AsyncSession, settings: Settings
) -> None:
    await create_ledger(session, settings, NAME, [], batch=1)
    service = LedgerService.for_session(session, settings)
    memo = AppendMemo()
    await service.append(NAME, LEAVES[:5], memo)
    async with session.begin_nested() as savepoint:  # a batch whose unit of work fails
        await service.append(NAME, LEAVES[5:9], memo)
        await savepoint.rollback()
    assert memo.size == 9  # it remembers a tree that is not there
    result = await service.append(NAME, LEAVES[5:8], memo)
    assert (result.size, result.root_hash) == (8, mth(0, 8))
    assert memo.size == 8


async def test_a_frontier_the_lock_did_not_see_is_read_apart(
    session: AsyncSession, settings: Settings
) -> None:
    await create_ledger(session, settings, NAME, [], batch=1)
    base = LedgerService.for_session(session, settings)
    forgetful = LedgerService(ForgetfulLock(session), settings, base.keyring)
    CountingRepository.node_reads = 0
    size = 0
    for count in (3, 5, 1, 6):  # frontiers of 1, 2 and 3 nodes
        result = await forgetful.append(NAME, LEAVES[size : size + count])
        size += count
        assert (result.size, result.root_hash) == (size, mth(0, size))
    assert CountingRepository.node_reads == 3  # every append but the first, on an empty tree
