"""Group commit, the mechanism: many callers' writes made in one unit of work.

Callers `submit` an item under a key and wait for its outcome. Per key, one task takes whatever has queued
under that key (at most `max_batch` items), hands the lot to the owner's `write` function, which makes them
in one unit of work and returns one outcome per item, in order: a result, or the exception that item's
caller is to get. While a batch is written the next one queues, so batches grow with the load and a lone
caller waits for no one. Keys are written independently (the registries key by register: writes to two
registers never wait for each other here; they take different locks in the database anyway).

If `write` itself raises, every caller of that batch gets the exception: splitting a failed batch so that
only the bad item fails is the owner's business (it knows which failures an item can cause alone).

A caller that goes away (its request cancelled) leaves its item to be written all the same: the item may
already be in a unit of work that commits. `aclose` waits until everything queued has been written.

The one asyncio detail that makes this safe: the task for a key ends in the same step in which it finds
nothing more queued (no `await` between the check and the end), so an item queued later always finds the
task running, or done and replaced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[K, T, R]):
    """One per app node and event loop. `write(key, items)` makes `items` (queued under `key`, in the order
    they were submitted) in one unit of work and returns one outcome per item."""

    def __init__(
        self, write: Callable[[K, list[T]], Awaitable[list[R | Exception]]], *, max_batch: int
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: dict[K, list[tuple[T, asyncio.Future[R]]]] = {}
        self._tasks: dict[K, asyncio.Task[None]] = {}
        self.loop = asyncio.get_running_loop()

    async def submit(self, key: K, item: T) -> R:
        """`item`'s result once the unit of work holding it has committed, or the exception it failed with."""
        done: asyncio.Future[R] = self.loop.create_future()
        self._waiting.setdefault(key, []).append((item, done))
        task = self._tasks.get(key)
        if task is None or task.done():
            self._tasks[key] = self.loop.create_task(self._drain(key))
        return await asyncio.shield(done)

    async def _drain(self, key: K) -> None:
        while waiting := self._waiting.get(key):
            batch, rest = waiting[: self._max_batch], waiting[self._max_batch :]
            self._waiting[key] = rest
            try:
                outcomes = await self._write(key, [item for item, _ in batch])
            except Exception as error:  # handed to every caller of the batch
                outcomes = [error] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if isinstance(outcome, Exception):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)
        # Nothing is left under `key` (checked without an await since): forget it.
        self._waiting.pop(key, None)
        self._tasks.pop(key, None)

    async def aclose(self) -> None:
        """Wait until every item queued has been written (or has failed)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
