"""Proofs served from the database, on this run's backend, against the brute-force RFC 9162 reference:
exhaustively for small trees, and for hypothesis-drawn sizes, indexes and pairs up to 300 and 3,000."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.service import LedgerService
from tests.support.ledgers import create_ledger
from tests.support.rfc9162 import LEAVES, mth, path, proof

SMALL = 300
LARGE = 3000
EXHAUSTIVE = 40
_DRAWS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def _ledger(session: AsyncSession, config: Settings, name: str, size: int) -> LedgerService:
    """The reference's leaves appended in random batch sizes, so stored nodes come from many appends."""
    rng = random.Random(size)  # noqa: S311 (reproducible batching, not secrets)
    batches, total = [], 0
    while total < size:
        batches.append(min(rng.randint(1, 97), size - total))
        total += batches[-1]
    service = await create_ledger(session, config, name, [], batch=1)
    start = 0
    for count in batches:
        await service.append(name, LEAVES[start : start + count])
        start += count
    return service


@pytest.fixture
async def small(session: AsyncSession, settings: Settings) -> LedgerService:
    return await _ledger(session, settings, "rfc-small", SMALL)


@pytest.fixture
async def large(session: AsyncSession, settings: Settings) -> LedgerService:
    return await _ledger(session, settings, "rfc-large", LARGE)


async def test_every_proof_of_every_small_tree(small: LedgerService) -> None:
    for size in range(1, EXHAUSTIVE + 1):
        for index in range(size):
            served = await small.inclusion_proof("rfc-small", index, size)
            assert served.leaf_hash == mth(index, index + 1)
            assert served.path == path(index, 0, size)
        for first in range(1, size + 1):
            assert (await small.consistency_proof("rfc-small", first, size)).path == proof(first, size)


async def test_the_head_is_the_reference_root(small: LedgerService, large: LedgerService) -> None:
    assert (await small.head("rfc-small")).root_hash == mth(0, SMALL)
    assert (await large.head("rfc-large")).root_hash == mth(0, LARGE)


@_DRAWS
@given(data=st.data())
async def test_drawn_inclusion_proofs(small: LedgerService, data: st.DataObject) -> None:
    size = data.draw(st.integers(1, SMALL), label="tree_size")
    index = data.draw(st.integers(0, size - 1), label="index")
    assert (await small.inclusion_proof("rfc-small", index, size)).path == path(index, 0, size)


@_DRAWS
@given(data=st.data())
async def test_drawn_consistency_proofs(small: LedgerService, data: st.DataObject) -> None:
    second = data.draw(st.integers(1, SMALL), label="second")
    first = data.draw(st.integers(1, second), label="first")
    assert (await small.consistency_proof("rfc-small", first, second)).path == proof(first, second)


@_DRAWS
@given(data=st.data())
async def test_drawn_proofs_in_a_larger_tree(large: LedgerService, data: st.DataObject) -> None:
    second = data.draw(st.integers(1, LARGE), label="second")
    first = data.draw(st.integers(1, second), label="first")
    index = data.draw(st.integers(0, second - 1), label="index")
    assert (await large.inclusion_proof("rfc-large", index, second)).path == path(index, 0, second)
    assert (await large.consistency_proof("rfc-large", first, second)).path == proof(first, second)
