"""`kit.group_commit`: items queued together are written together, per key, each caller getting its own
outcome."""

from __future__ import annotations

import asyncio

import pytest

from govhub.kit.group_commit import GroupCommit


class Recorder:
    """A `write` that keeps the batches it was handed: doubles each item, fails `bad` items alone and the
    whole batch on `explode`."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[int]]] = []

    async def write(self, key: str, items: list[int]) -> list[int | Exception]:
        self.batches.append((key, items))
        await asyncio.sleep(0)
        if -1 in items:
            raise RuntimeError("explode")
        return [ValueError(f"bad {item}") if item == 13 else item * 2 for item in items]


async def test_items_queued_together_are_one_batch_per_key() -> None:
    recorder = Recorder()
    group: GroupCommit[str, int, int] = GroupCommit(recorder.write, max_batch=100)
    results = await asyncio.gather(*(group.submit("a" if n % 2 else "b", n) for n in range(6)))
    assert results == [0, 2, 4, 6, 8, 10]
    assert sorted(recorder.batches) == [("a", [1, 3, 5]), ("b", [0, 2, 4])]


async def test_an_item_failing_alone_fails_only_its_caller() -> None:
    recorder = Recorder()
    group: GroupCommit[str, int, int] = GroupCommit(recorder.write, max_batch=100)
    outcomes = await asyncio.gather(*(group.submit("a", n) for n in (12, 13, 14)), return_exceptions=True)
    assert outcomes[0] == 24
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[2] == 28


async def test_a_failed_batch_fails_every_caller_in_it_and_the_next_batch_goes_on() -> None:
    recorder = Recorder()
    group: GroupCommit[str, int, int] = GroupCommit(recorder.write, max_batch=2)
    outcomes = await asyncio.gather(*(group.submit("a", n) for n in (1, -1, 3)), return_exceptions=True)
    assert [type(outcome) for outcome in outcomes[:2]] == [RuntimeError, RuntimeError]
    assert outcomes[2] == 6
    assert recorder.batches == [("a", [1, -1]), ("a", [3])]


async def test_items_queued_while_a_batch_is_written_make_the_next_batch() -> None:
    recorder = Recorder()
    group: GroupCommit[str, int, int] = GroupCommit(recorder.write, max_batch=100)
    first = asyncio.ensure_future(group.submit("a", 1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the first batch is being written
    later = await asyncio.gather(group.submit("a", 2), group.submit("a", 3))
    assert await first == 2
    assert list(later) == [4, 6]
    assert recorder.batches == [("a", [1]), ("a", [2, 3])]


async def test_a_cancelled_caller_leaves_its_item_to_be_written_and_aclose_waits() -> None:
    recorder = Recorder()
    group: GroupCommit[str, int, int] = GroupCommit(recorder.write, max_batch=100)
    caller = asyncio.ensure_future(group.submit("a", 5))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await group.aclose()
    assert recorder.batches == [("a", [5])]
