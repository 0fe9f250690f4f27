"""Client-side RFC 9162 verification against proofs from the brute-force reference in `test_merkle.py`:
honest proofs verify, and every tampering we can enumerate is caught."""

from __future__ import annotations

import ast
import hashlib
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.ledger import verify
from govhub.ledger.verify import VerificationError, verify_consistency, verify_inclusion
from tests.support.rfc9162 import LEAVES, MAX_LEAVES, mth, path, proof, reference_leaf_hash

EXHAUSTIVE = 128
MUTATED = 40  # every tampering of every proof up to here


def flip(value: bytes, bit: int) -> bytes:
    mutable = bytearray(value)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


def inclusion_holds(
    index: int, size: int, audit_path: list[bytes], root: bytes, leaf: bytes | None = None
) -> bool:
    try:
        verify_inclusion(reference_leaf_hash(index) if leaf is None else leaf, index, size, audit_path, root)
    except VerificationError:
        return False
    return True


def consistency_holds(
    first: int, second: int, first_root: bytes, second_root: bytes, hashes: list[bytes]
) -> bool:
    try:
        verify_consistency(first, second, first_root, second_root, hashes)
    except VerificationError:
        return False
    return True


def tamperings(hashes: list[bytes]) -> list[list[bytes]]:
    """Truncations, extensions, one flipped bit per element, and a swap of neighbours."""
    extra = hashlib.sha256(b"not in the tree").digest()
    variants = [
        hashes[:-1],
        hashes[1:],
        [*hashes, extra],
        [extra, *hashes],
        [*hashes, hashes[-1]] if hashes else [],
    ]
    for position, value in enumerate(hashes):
        variants.append([*hashes[:position], flip(value, (position * 37) % 256), *hashes[position + 1 :]])
    for position in range(len(hashes) - 1):
        if hashes[position] != hashes[position + 1]:
            swapped = list(hashes)
            swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
            variants.append(swapped)
    return [variant for variant in variants if variant != hashes]


# --- the module stands alone -----------------------------------------------------------------------------


def test_verify_depends_only_on_the_standard_library() -> None:
    """An auditor must be able to copy verify.py on its own."""
    source = Path(verify.__file__).read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "hashlib", "collections"}


def test_hashes_follow_rfc_9162() -> None:
    assert verify.leaf_hash(LEAVES[3]) == reference_leaf_hash(3)
    assert verify.node_hash(mth(0, 2), mth(2, 4)) == mth(0, 4)
    assert hashlib.sha256(b"").digest() == verify.EMPTY_ROOT


# --- inclusion -------------------------------------------------------------------------------------------


def test_every_reference_inclusion_proof_verifies() -> None:
    for size in range(1, EXHAUSTIVE + 1):
        root = mth(0, size)
        for index in range(size):
            verify_inclusion(reference_leaf_hash(index), index, size, path(index, 0, size), root)


@pytest.mark.parametrize(
    ("index", "size"), [(0, 1), (0, 2), (1, 2), (3, 4), (0, 8), (7, 8), (4, 5), (6, 7), (12, 13), (255, 256)]
)
def test_inclusion_edge_cases_verify(index: int, size: int) -> None:
    audit_path = path(index, 0, size)
    verify_inclusion(reference_leaf_hash(index), index, size, audit_path, mth(0, size))
    if size == 1:
        assert audit_path == []


def test_every_tampered_inclusion_proof_fails() -> None:
    for size in range(1, MUTATED + 1):
        root = mth(0, size)
        for index in range(size):
            honest = path(index, 0, size)
            for variant in tamperings(honest):
                assert not inclusion_holds(index, size, variant, root), (index, size, variant)


@pytest.mark.parametrize(("index", "size"), [(0, 7), (5, 7), (6, 7), (3, 8), (12, 13), (9, 13)])
def test_every_single_bit_flip_of_an_inclusion_proof_fails(index: int, size: int) -> None:
    honest = path(index, 0, size)
    root = mth(0, size)
    for position, bit in itertools.product(range(len(honest)), range(256)):
        variant = [*honest[:position], flip(honest[position], bit), *honest[position + 1 :]]
        assert not inclusion_holds(index, size, variant, root)
    for bit in range(256):
        assert not inclusion_holds(index, size, honest, flip(root, bit))
        assert not inclusion_holds(index, size, honest, root, leaf=flip(reference_leaf_hash(index), bit))


def test_inclusion_at_the_wrong_index_fails() -> None:
    for size in range(2, MUTATED + 1):
        root = mth(0, size)
        for index, claimed in itertools.permutations(range(size), 2):
            leaf = reference_leaf_hash(index)
            assert not inclusion_holds(claimed, size, path(index, 0, size), root, leaf=leaf)


def test_inclusion_in_a_tree_of_the_wrong_size_fails() -> None:
    for size, claimed in itertools.permutations(range(1, MUTATED + 1), 2):
        for index in range(min(size, claimed)):
            assert not inclusion_holds(index, claimed, path(index, 0, size), mth(0, claimed))


def test_the_root_not_the_path_binds_the_tree_size() -> None:
    """RFC 9162 §2.1.3.2 reads only the shape of the tree from tree_size; a size with the same shape along
    the path passes with the other size's root. Callers must take size and root from one checkpoint."""
    verify_inclusion(reference_leaf_hash(0), 0, 6, path(0, 0, 5), mth(0, 5))


def test_inclusion_messages_say_what_failed() -> None:
    honest = path(2, 0, 7)
    with pytest.raises(VerificationError, match="has 2 hashes but index 2 in a tree of 7 leaves takes 3"):
        verify_inclusion(reference_leaf_hash(2), 2, 7, honest[:2], mth(0, 7))
    with pytest.raises(VerificationError, match="has 4 hashes but index 2 in a tree of 7 leaves takes 3"):
        verify_inclusion(reference_leaf_hash(2), 2, 7, [*honest, honest[0]], mth(0, 7))
    with pytest.raises(VerificationError, match="not the expected"):
        verify_inclusion(reference_leaf_hash(2), 2, 7, honest, mth(0, 6))
    with pytest.raises(VerificationError, match="need 0 <= index < tree_size"):
        verify_inclusion(reference_leaf_hash(2), 7, 7, honest, mth(0, 7))
    with pytest.raises(VerificationError, match="need 0 <= index < tree_size"):
        verify_inclusion(reference_leaf_hash(2), -1, 7, honest, mth(0, 7))
    with pytest.raises(VerificationError, match="proof hash 1 must be 32 bytes"):
        verify_inclusion(reference_leaf_hash(2), 2, 7, [honest[0], honest[1][:31], honest[2]], mth(0, 7))
    with pytest.raises(VerificationError, match="leaf hash must be 32 bytes"):
        verify_inclusion(LEAVES[2], 2, 7, honest, mth(0, 7))


# --- consistency -----------------------------------------------------------------------------------------


def test_every_reference_consistency_proof_verifies() -> None:
    for second in range(1, EXHAUSTIVE + 1):
        for first in range(1, second + 1):
            verify_consistency(first, second, mth(0, first), mth(0, second), proof(first, second))


@pytest.mark.parametrize(
    ("first", "second"),
    [(1, 1), (1, 2), (2, 4), (4, 8), (8, 8), (3, 7), (4, 7), (6, 7), (1, 256), (255, 256)],
)
def test_consistency_edge_cases_verify(first: int, second: int) -> None:
    hashes = proof(first, second)
    verify_consistency(first, second, mth(0, first), mth(0, second), hashes)
    if first == second:
        assert hashes == []


def test_every_tampered_consistency_proof_fails() -> None:
    for second in range(2, MUTATED + 1):
        for first in range(1, second):
            honest = proof(first, second)
            old, new = mth(0, first), mth(0, second)
            for variant in tamperings(honest):
                assert not consistency_holds(first, second, old, new, variant), (first, second, variant)
            assert not consistency_holds(first, second, new, old, honest)
            assert not consistency_holds(first, second, old, old, honest)
            assert not consistency_holds(first, second, new, new, honest)


@pytest.mark.parametrize(("first", "second"), [(3, 7), (4, 7), (6, 7), (1, 8), (5, 13), (8, 13)])
def test_every_single_bit_flip_of_a_consistency_proof_fails(first: int, second: int) -> None:
    honest = proof(first, second)
    old, new = mth(0, first), mth(0, second)
    for position, bit in itertools.product(range(len(honest)), range(256)):
        variant = [*honest[:position], flip(honest[position], bit), *honest[position + 1 :]]
        assert not consistency_holds(first, second, old, new, variant)
    for bit in range(256):
        assert not consistency_holds(first, second, flip(old, bit), new, honest)
        assert not consistency_holds(first, second, old, flip(new, bit), honest)


def test_consistency_between_the_wrong_sizes_fails() -> None:
    for second in range(2, MUTATED + 1):
        for first in range(1, second):
            honest = proof(first, second)
            for other in range(1, second):
                if other != first and proof(other, second) != honest:
                    assert not consistency_holds(other, second, mth(0, other), mth(0, second), honest)
            for other in range(first + 1, MUTATED + 1):
                if other != second:
                    assert not consistency_holds(first, other, mth(0, first), mth(0, other), honest)


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    verify_consistency(5, 5, mth(0, 5), mth(0, 5), [])
    with pytest.raises(VerificationError, match="different roots"):
        verify_consistency(5, 5, mth(0, 5), mth(0, 4), [])
    with pytest.raises(VerificationError, match="must be empty"):
        verify_consistency(5, 5, mth(0, 5), mth(0, 5), [mth(0, 5)])


def test_the_empty_tree_is_consistent_with_every_tree() -> None:
    verify_consistency(0, 9, verify.EMPTY_ROOT, mth(0, 9), [])
    verify_consistency(0, 0, verify.EMPTY_ROOT, verify.EMPTY_ROOT, [])
    with pytest.raises(VerificationError, match="empty tree's root"):
        verify_consistency(0, 9, mth(0, 1), mth(0, 9), [])
    with pytest.raises(VerificationError, match="must be empty"):
        verify_consistency(0, 9, verify.EMPTY_ROOT, mth(0, 9), [mth(0, 9)])


def test_consistency_messages_say_what_failed() -> None:
    old, new = mth(0, 3), mth(0, 7)
    honest = proof(3, 7)
    with pytest.raises(VerificationError, match="0 <= first <= second"):
        verify_consistency(7, 3, new, old, honest)
    with pytest.raises(VerificationError, match="0 <= first <= second"):
        verify_consistency(-1, 3, old, new, honest)
    with pytest.raises(VerificationError, match="from 3 to 7 leaves is empty"):
        verify_consistency(3, 7, old, new, [])
    with pytest.raises(VerificationError, match="has 3 hashes, but takes 4"):
        verify_consistency(3, 7, old, new, honest[:3])
    with pytest.raises(VerificationError, match="has 5 hashes, but takes 4"):
        verify_consistency(3, 7, old, new, [*honest, honest[0]])
    with pytest.raises(VerificationError, match="leads to first root"):
        verify_consistency(3, 7, mth(0, 2), new, honest)
    with pytest.raises(VerificationError, match="leads to second root"):
        verify_consistency(3, 7, old, mth(0, 6), honest)
    with pytest.raises(VerificationError, match="second root must be 32 bytes"):
        verify_consistency(3, 7, old, new.hex().encode(), honest)


@settings(max_examples=150, deadline=None)
@given(
    second=st.integers(min_value=1, max_value=MAX_LEAVES),
    fraction=st.floats(min_value=0, max_value=1),
    bit=st.integers(min_value=0, max_value=255),
    position=st.integers(min_value=0),
)
def test_random_large_proofs_verify_and_any_flipped_bit_fails(
    second: int, fraction: float, bit: int, position: int
) -> None:
    first = max(1, round(fraction * second))
    index = min(second - 1, int(fraction * second))
    root = mth(0, second)
    audit_path = path(index, 0, second)
    verify_inclusion(reference_leaf_hash(index), index, second, audit_path, root)
    if audit_path:
        where = position % len(audit_path)
        audit_path[where] = flip(audit_path[where], bit)
        assert not inclusion_holds(index, second, audit_path, root)
    hashes = proof(first, second)
    verify_consistency(first, second, mth(0, first), root, hashes)
    if hashes:
        where = position % len(hashes)
        hashes[where] = flip(hashes[where], bit)
        assert not consistency_holds(first, second, mth(0, first), root, hashes)


# --- whole-log recomputation -----------------------------------------------------------------------------


def test_root_of_leaves_matches_mth_for_every_size() -> None:
    for size in range(EXHAUSTIVE * 2 + 1):
        assert verify.root_of_leaves(LEAVES[number] for number in range(size)) == mth(0, size)
    assert verify.root_of_leaves([]) == verify.EMPTY_ROOT


@settings(max_examples=50, deadline=None)
@given(leaves=st.lists(st.binary(max_size=8), max_size=300))
def test_root_of_leaves_matches_the_rfc_definition_on_any_entries(leaves: list[bytes]) -> None:
    def definition(entries: list[bytes]) -> bytes:
        if not entries:
            return hashlib.sha256(b"").digest()
        if len(entries) == 1:
            return hashlib.sha256(b"\x00" + entries[0]).digest()
        k = 1
        while k * 2 < len(entries):
            k *= 2
        return hashlib.sha256(b"\x01" + definition(entries[:k]) + definition(entries[k:])).digest()

    assert verify.root_of_leaves(iter(leaves)) == definition(leaves)
