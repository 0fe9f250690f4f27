"""Client-side verification of RFC 9162 (Certificate Transparency v2) Merkle proofs, for auditors.

This module depends on the Python standard library only, and on nothing else in govhub, so an auditor
can copy this single file and check a log without trusting the log's own code. The proof checks follow
RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, rather than recomputing the proof the way a server would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "RootBuilder",
    "VerificationError",
    "leaf_hash",
    "node_hash",
    "root_of_leaves",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

#: RFC 9162 §2.1.1: the root of the empty tree is the hash of the empty string.
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()


class VerificationError(Exception):
    """A proof did not verify; the message says which check failed."""


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 §2.1.1: `SHA-256(0x00 || leaf)`."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: `SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class RootBuilder:
    """RFC 9162 §2.1.1 `MTH` of leaf hashes added one at a time, with O(log n) memory: for an auditor
    reading a whole log page by page."""

    def __init__(self) -> None:
        # The roots of the complete subtrees seen so far, largest first. Leaf number `count` completes
        # one subtree per trailing one bit of `count`.
        self._pending: list[bytes] = []
        self.count = 0

    def add_leaf_hash(self, value: bytes) -> None:
        carry = self.count
        while carry & 1:
            value = node_hash(self._pending.pop(), value)
            carry >>= 1
        self._pending.append(value)
        self.count += 1

    def root(self) -> bytes:
        if not self._pending:
            return EMPTY_ROOT
        # The RFC splits off the largest power of two first, so the smallest subtrees combine first.
        value = self._pending[-1]
        for left in reversed(self._pending[:-1]):
            value = node_hash(left, value)
        return value


def root_of_leaves(leaves: Iterable[bytes]) -> bytes:
    """RFC 9162 §2.1.1 `MTH` of raw leaf entries (not their hashes), streamed with O(log n) memory."""
    builder = RootBuilder()
    for leaf in leaves:
        builder.add_leaf_hash(leaf_hash(leaf))
    return builder.root()


def _check_hash(what: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes) else type(value).__name__
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes (a SHA-256 hash), got {size}")


def _check_path(path: Sequence[bytes]) -> None:
    for position, value in enumerate(path):
        _check_hash(f"proof hash {position}", value)


def _check_count(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise VerificationError(f"{name} must be an integer, got {type(value).__name__}")


def _steps_left(fn: int, sn: int) -> int:
    """How many more path hashes the §2.1.3.2 / §2.1.4.2 loop would consume before `sn` reaches 0.
    Only used to make the 'proof too short' message exact."""
    steps = 0
    while sn:
        if not fn & 1 and fn == sn:
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
        steps += 1
    return steps


def verify_inclusion(
    leaf_hash: bytes,
    index: int,
    tree_size: int,
    path: Sequence[bytes],
    root: bytes,
) -> None:
    """RFC 9162 §2.1.3.2: check that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves whose
    root is `root`, given the inclusion path. Raises `VerificationError` saying what failed."""
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    _check_path(path)
    _check_count("index", index)
    _check_count("tree_size", tree_size)
    # Step 1 (and a negative index, which the RFC's unsigned integers cannot express).
    if index < 0 or index >= tree_size:
        raise VerificationError(
            f"index {index} is not in a tree of {tree_size} leaves (need 0 <= index < tree_size)"
        )
    # Steps 2 and 3.
    fn, sn = index, tree_size - 1
    r = leaf_hash
    # Step 4.
    for position, p in enumerate(path):
        if sn == 0:  # 4a
            raise VerificationError(
                f"inclusion proof has {len(path)} hashes but index {index} in a tree of {tree_size} leaves "
                f"takes {position}"
            )
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    # Step 5.
    if sn != 0:
        needed = len(path) + _steps_left(fn, sn)
        raise VerificationError(
            f"inclusion proof has {len(path)} hashes but index {index} in a tree of {tree_size} leaves "
            f"takes {needed}"
        )
    if r != root:
        raise VerificationError(
            f"inclusion proof for index {index} in a tree of {tree_size} leaves leads to root {r.hex()}, "
            f"not the expected {root.hex()}"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: check that the tree of `second` leaves with root `second_root` extends the tree
    of `first` leaves with root `first_root`. Raises `VerificationError` saying what failed.

    §2.1.4.2 covers `0 < first < second`. Outside it: `first == second` holds exactly when the path is
    empty and the roots are equal (the proof §2.1.4.1 gives for equal sizes); `first == 0` holds exactly
    when the path is empty and `first_root` is the empty tree's root, because every tree extends the empty
    tree.
    """
    _check_hash("first root", first_root)
    _check_hash("second root", second_root)
    _check_path(path)
    _check_count("first", first)
    _check_count("second", second)
    if first < 0 or second < first:
        raise VerificationError(f"sizes {first} and {second} do not satisfy 0 <= first <= second")
    if first in {0, second}:
        _verify_trivial_consistency(first, second, first_root, second_root, path)
        return
    fr, sr = _consistency_roots(first, second, first_root, path)
    # Step 7, the root comparisons.
    if fr != first_root:
        raise VerificationError(
            f"consistency proof from {first} to {second} leaves leads to first root {fr.hex()}, "
            f"not the expected {first_root.hex()}"
        )
    if sr != second_root:
        raise VerificationError(
            f"consistency proof from {first} to {second} leaves leads to second root {sr.hex()}, "
            f"not the expected {second_root.hex()}"
        )


def _consistency_roots(
    first: int, second: int, first_root: bytes, path: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 1 to 7 for `0 < first < second`, up to (not including) comparing the two
    roots it computes, `fr` and `sr`, which it returns."""
    # Step 1.
    if not path:
        raise VerificationError(f"consistency proof from {first} to {second} leaves is empty")
    proof = list(path)
    # Step 2: a power-of-two old tree is itself a complete subtree of the new one, so the log leaves its
    # root (which the client already has) out of the proof.
    prepended = 0
    if first & (first - 1) == 0:
        proof.insert(0, first_root)
        prepended = 1
    # Step 3.
    fn, sn = first - 1, second - 1
    # Step 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = proof[0]
    # Step 6.
    for position, c in enumerate(proof[1:], start=1):
        if sn == 0:  # 6a
            raise VerificationError(
                f"consistency proof from {first} to {second} leaves has {len(path)} hashes, "
                f"but takes {position - prepended}"
            )
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6c
        sn >>= 1
    # Step 7, the size check.
    if sn != 0:
        needed = len(path) + _steps_left(fn, sn)
        raise VerificationError(
            f"consistency proof from {first} to {second} leaves has {len(path)} hashes, but takes {needed}"
        )
    return fr, sr


def _verify_trivial_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> None:
    """The cases §2.1.4.2 leaves out: an empty old tree, or no growth. Both need no proof hashes."""
    if path:
        raise VerificationError(
            f"consistency proof from {first} to {second} leaves must be empty, but has {len(path)} hashes"
        )
    if first == 0 and first_root != EMPTY_ROOT:
        raise VerificationError(
            f"first root {first_root.hex()} is not the empty tree's root {EMPTY_ROOT.hex()}, yet first is 0"
        )
    if first == second and first_root != second_root:
        raise VerificationError(
            f"both trees have {first} leaves but different roots: {first_root.hex()}, {second_root.hex()}"
        )
