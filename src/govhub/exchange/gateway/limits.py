"""The gateway's fair-share limits on one app node, in memory (an app node's event loop is one thread, so
each check-and-count is atomic): exchanges in flight per calling member (`InFlight`), and requests refused
before authentication per client address (`RecentCount`). Both are per node by design (issue 14): they stop
one member or one address from starving a node; the database, the only shared state, is never touched.

Memory is bounded: `InFlight` holds one entry per member with exchanges in flight (members are few and
known); `RecentCount` at most `max_keys` addresses per minute, after which new addresses share one count
(so a flood from many addresses is still limited, together)."""

from __future__ import annotations

import time
from collections.abc import Callable
from ipaddress import IPv6Address, IPv6Network

from starlette.requests import HTTPConnection

from govhub.kit.peers import peer_address

#: The key addresses share once `RecentCount` is full.
OVERFLOW = "<many addresses>"


class InFlight:
    """At most `limit` exchanges in flight per key (the calling member) at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        """Take a place for `key`; False (nothing taken) when it has `limit` already."""
        count = self._counts.get(key, 0)
        if count >= self.limit:
            return False
        self._counts[key] = count + 1
        return True

    def release(self, key: str) -> None:
        count = self._counts.get(key, 0) - 1
        if count > 0:
            self._counts[key] = count
        else:
            self._counts.pop(key, None)

    def in_flight(self, key: str) -> int:
        return self._counts.get(key, 0)


class RecentCount:
    """Events per key over the last `window` seconds, estimated from this and the previous fixed window
    (the previous one weighted by how much of it still overlaps: no burst of twice the limit at a window's
    edge, and two numbers per key)."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._index = int(clock() // window)
        self._current: dict[str, int] = {}
        self._previous: dict[str, int] = {}

    def _roll(self) -> float:
        """Move to the current window; how far into it we are (0 to 1)."""
        now = self._clock()
        index = int(now // self.window)
        if index != self._index:
            self._previous = self._current if index == self._index + 1 else {}
            self._current = {}
            self._index = index
        return (now % self.window) / self.window

    def hit(self, key: str) -> float:
        """Count one event for `key` (counted first, then checked); the events over the last window with
        this one: over `limit` means refuse. The first event over it is the one between `limit` and
        `limit + 1`."""
        elapsed = self._roll()
        if key not in self._current and len(self._current) >= self.max_keys:
            key = OVERFLOW
        count = self._current.get(key, 0) + 1
        self._current[key] = count
        return self._previous.get(key, 0) * (1 - elapsed) + count


_IPV6_SUBSCRIBER = 64


def address_key(connection: HTTPConnection) -> str:
    """The key a client address is counted under (`kit.peers`: the socket peer): an IPv4 address itself, an
    IPv6 address's /64 (one subscriber usually holds a whole /64, so counting single addresses would count
    nothing)."""
    address = peer_address(connection)
    if address is None:
        return "unknown"
    if isinstance(address, IPv6Address):
        return str(IPv6Network(f"{address}/{_IPV6_SUBSCRIBER}", strict=False))
    return str(address)
