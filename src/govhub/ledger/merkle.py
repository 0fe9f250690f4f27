"""RFC 9162 Merkle tree math for the log server: building stored subtree hashes and reading proofs from them.

The server stores one hash per *complete* subtree, keyed by `NodeKey` `(level, index)`: the subtree over
leaves `[index << level, (index + 1) << level)`, with level 0 holding the leaf hashes. Those hashes never
change once written, because an append-only log only ever completes new subtrees to the right.

Every hash the RFC 9162 §2.1.3.1 and §2.1.4.1 recursions put in a proof is `MTH(D[a:b])` for a range that
is *aligned*: `a` is a multiple of the smallest power of two `>= b - a` (it starts at `[0, n)`; splitting
`[a, b)` at the largest power of two `k < b - a` gives a complete left half and a right half of length
`<= k` starting at `a + k`, and both keep the property). An aligned range splits into complete subtrees,
one per set bit of `b - a`, largest first, each aligned at its own level, and `MTH(D[a:b])` is the right
fold of their hashes, which is the RFC's own split. So every proof is a function of O(log n) stored rows,
which a `Plan` names up front (one database query) and then hashes together (`Plan.assemble`).

Pure computation: no database, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "InvalidProofRequest",
    "MissingNodeError",
    "NodeKey",
    "Plan",
    "consistency_plan",
    "frontier",
    "inclusion_plan",
    "leaf_hash",
    "new_nodes",
    "node_hash",
    "root_from",
    "root_plan",
]

HASH_SIZE = 32

#: RFC 9162 §2.1.1: the hash of an empty list is the hash of the empty string.
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

#: `(level, index)`: the complete subtree over leaves `[index << level, (index + 1) << level)`.
NodeKey: TypeAlias = tuple[int, int]

# Bound once at import: these run per node on the append hot path.
_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class InvalidProofRequest(ValueError):
    """A proof or root was asked for with sizes or indexes the log cannot answer."""


class MissingNodeError(LookupError):
    """A stored subtree hash that the computation needs was not supplied."""


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 §2.1.1: `MTH({d0}) = SHA-256(0x00 || d0)`."""
    return _sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: `SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def frontier(size: int) -> list[NodeKey]:
    """The maximal complete subtrees that make up `[0, size)`, left to right: one per set bit of `size`,
    largest first. Their right fold is the root (RFC 9162 §2.1.1 splits off the largest power of two)."""
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")
    return _aligned_range(0, size)


def _aligned_range(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees covering the aligned range `[start, end)`, left to right (see module doc)."""
    keys: list[NodeKey] = []
    length = end - start
    level = length.bit_length()
    while level:
        level -= 1
        if length >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def new_nodes(
    size: int, leaf_hashes: Sequence[bytes], frontier_hashes: Mapping[NodeKey, bytes]
) -> dict[NodeKey, bytes]:
    """Every subtree that becomes complete when `leaf_hashes` are appended to a tree of `size` leaves, leaf
    hashes included at `(0, size + i)`; RFC 9162 §2.1.1 hashing. `frontier_hashes` must hold the hashes of
    `frontier(size)`; nothing else is read. One hash per new internal node, so O(k + log n) for k leaves."""
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")
    try:
        # A stack of the pending frontier, smallest subtree on top: appending leaf number p completes one
        # subtree per trailing one bit of p, each merging with the top of the stack.
        stack = [frontier_hashes[key] for key in frontier(size)]
    except KeyError as missing:
        raise MissingNodeError(
            f"frontier hash for node {missing.args[0]} (level, index) is needed to append to a tree of "
            f"{size} leaves; pass the hashes of frontier({size})"
        ) from None
    sha256 = _sha256
    prefix = _NODE_PREFIX
    created: dict[NodeKey, bytes] = {}
    position = size
    for leaf in leaf_hashes:
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash {position - size} is {len(leaf)} bytes; leaf hashes are {HASH_SIZE}")
        created[(0, position)] = leaf
        value = leaf
        level = 0
        index = position
        while index & 1:
            value = sha256(prefix + stack.pop() + value).digest()
            level += 1
            index >>= 1
            created[(level, index)] = value
        stack.append(value)
        position += 1
    return created


def root_from(frontier_hashes_left_to_right: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH of a tree given the hashes of its `frontier`, left to right; `EMPTY_ROOT` for
    none."""
    return _fold(frontier_hashes_left_to_right)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold: the RFC splits off the largest complete subtree first, so the smallest ones pair up
    first."""
    if not hashes:
        return EMPTY_ROOT
    value = hashes[-1]
    for position in range(len(hashes) - 2, -1, -1):
        value = _sha256(_NODE_PREFIX + hashes[position] + value).digest()
    return value


class Plan:
    """What a proof or root needs from storage (`nodes`) and how to hash it together (`assemble`).

    `elements` lists, for each hash of the result in order, the stored subtrees whose right fold it is.
    """

    __slots__ = ("elements", "nodes")

    elements: tuple[tuple[NodeKey, ...], ...]
    nodes: frozenset[NodeKey]

    def __init__(self, elements: Iterable[Sequence[NodeKey]]) -> None:
        self.elements = tuple(tuple(element) for element in elements)
        self.nodes = frozenset(key for element in self.elements for key in element)

    def assemble(self, hashes: Mapping[NodeKey, bytes]) -> list[bytes]:
        """The result hashes, in RFC order, from the stored hashes of (at least) `nodes`."""
        try:
            stored = {key: hashes[key] for key in self.nodes}
        except KeyError as missing:
            raise MissingNodeError(
                f"stored hash for node {missing.args[0]} (level, index) was not supplied; a plan needs "
                f"every key in plan.nodes"
            ) from None
        for key, value in stored.items():
            if len(value) != HASH_SIZE:
                raise ValueError(f"stored hash for node {key} is {len(value)} bytes, not {HASH_SIZE}")
        # Nearly every element is a single stored subtree; only one per proof needs folding.
        return [
            stored[element[0]] if len(element) == 1 else _fold([stored[key] for key in element])
            for element in self.elements
        ]

    def __repr__(self) -> str:
        return f"Plan(elements={self.elements!r})"


def _check_count(name: str, value: int) -> None:
    # bool is an int subclass; True as a tree size is always a caller bug.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidProofRequest(f"{name} must be an integer, got {type(value).__name__}")


def inclusion_plan(index: int, tree_size: int) -> Plan:
    """RFC 9162 §2.1.3.1 `PATH(index, D[0:tree_size])`: the audit path, nearest the leaf first.

    Allowed: `0 <= index < tree_size`.
    """
    _check_count("index", index)
    _check_count("tree_size", tree_size)
    if tree_size <= 0:
        raise InvalidProofRequest(
            f"tree_size must be >= 1 for an inclusion proof, got {tree_size}; an empty tree has no leaves"
        )
    if not 0 <= index < tree_size:
        raise InvalidProofRequest(
            f"index {index} is not in a tree of {tree_size} leaves; allowed is 0 <= index < {tree_size}"
        )
    # Walk the recursion from the root down over the current range [start, start + n); `index` is
    # relative to it. Elements come out root-first; the RFC's path lists them leaf-first.
    elements: list[list[NodeKey]] = []
    start, n = 0, tree_size
    while n > 1:
        split = 1 << ((n - 1).bit_length() - 1)  # largest power of two < n
        if index < split:
            elements.append(_aligned_range(start + split, start + n))
            n = split
        else:
            level = split.bit_length() - 1
            elements.append([(level, start >> level)])
            start += split
            index -= split
            n -= split
    elements.reverse()
    return Plan(elements)


def consistency_plan(first: int, second: int) -> Plan:
    """RFC 9162 §2.1.4.1 `PROOF(first, D[0:second])` = `SUBPROOF(first, D[0:second], true)`.

    Allowed: `1 <= first <= second`; `first == second` gives the empty proof.
    """
    _check_count("first", first)
    _check_count("second", second)
    if first <= 0:
        raise InvalidProofRequest(
            f"first must be >= 1, got {first}; every tree extends the empty one, so there is nothing to prove"
        )
    if first > second:
        raise InvalidProofRequest(
            f"first ({first}) is larger than second ({second}); allowed is 1 <= first <= second"
        )
    # Walk SUBPROOF(m, D[start:start + n], b) down from the root; elements come out root-first.
    elements: list[list[NodeKey]] = []
    start, n, m, whole = 0, second, first, True
    while m != n:
        split = 1 << ((n - 1).bit_length() - 1)  # largest power of two < n
        if m <= split:
            elements.append(_aligned_range(start + split, start + n))
            n = split
        else:
            level = split.bit_length() - 1
            elements.append([(level, start >> level)])
            start += split
            m -= split
            n -= split
            whole = False
    if not whole:
        # SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree's own subtree, which the verifier cannot
        # know unless it is the whole old tree (b = true).
        elements.append(_aligned_range(start, start + m))
    elements.reverse()
    return Plan(elements)


def root_plan(tree_size: int) -> Plan:
    """RFC 9162 §2.1.1 `MTH(D[0:tree_size])`; `assemble` returns `[root]`, `[EMPTY_ROOT]` for size 0."""
    _check_count("tree_size", tree_size)
    if tree_size < 0:
        raise InvalidProofRequest(f"tree_size must be >= 0, got {tree_size}")
    return Plan([_aligned_range(0, tree_size)])
