"""An independent brute-force RFC 9162 reference, written straight from the RFC definitions (§2.1.1 MTH,
§2.1.3.1 PATH, §2.1.4.1 PROOF and SUBPROOF), recursing over ranges `D[start:end]` of one fixed list of leaf
entries, with MTH memoised so exhaustive checks stay fast. It shares no code with `govhub.ledger`."""

from __future__ import annotations

import functools
import hashlib

MAX_LEAVES = 6000
LEAVES = [f"entry {number}".encode() for number in range(MAX_LEAVES)]


def largest_power_of_two_below(n: int) -> int:
    """The RFC's k: the largest power of two smaller than n (n > 1), so that k < n <= 2k."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def mth(start: int, end: int) -> bytes:
    """§2.1.1 MTH(D[start:end]) for D = LEAVES."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + LEAVES[start]).digest()
    k = largest_power_of_two_below(n)
    return hashlib.sha256(b"\x01" + mth(start, start + k) + mth(start + k, end)).digest()


def path(m: int, start: int, end: int) -> list[bytes]:
    """§2.1.3.1 PATH(m, D[start:end])."""
    n = end - start
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path(m, start, start + k), mth(start + k, end)]
    return [*path(m - k, start + k, end), mth(start, start + k)]


def proof(m: int, n: int) -> list[bytes]:
    """§2.1.4.1 PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true)."""
    return subproof(m, 0, n, True)


def subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """§2.1.4.1 SUBPROOF(m, D[start:end], b)."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof(m, start, start + k, b), mth(start + k, end)]
    return [*subproof(m - k, start + k, end, False), mth(start, start + k)]


def reference_leaf_hash(index: int) -> bytes:
    return mth(index, index + 1)


@functools.cache
def complete_nodes(size: int) -> frozenset[tuple[int, int]]:
    """Every (level, index) whose leaves [index * 2**level, (index + 1) * 2**level) all exist."""
    return frozenset(
        (level, index)
        for level in range(size.bit_length())
        for index in range(size)
        if (index + 1) * 2**level <= size
    )
