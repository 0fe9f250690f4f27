"""The server's Merkle tree math against an independent brute-force RFC 9162 reference.

The reference below is written straight from the RFC definitions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1
PROOF and SUBPROOF), recursing over ranges `D[start:end]` of one fixed list of leaf entries, with MTH
memoised so exhaustive checks stay fast (`tests/support/rfc9162.py`).
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.ledger import merkle
from govhub.ledger.merkle import InvalidProofRequest, MissingNodeError, NodeKey
from tests.support.rfc9162 import (
    LEAVES,
    complete_nodes,
    mth,
    path,
    proof,
    reference_leaf_hash,
)

EXHAUSTIVE = 300  # every size, index and pair up to here


# --- the simulated database ------------------------------------------------------------------------------


def build_store(batches: Iterable[int]) -> dict[NodeKey, bytes]:
    """Append LEAVES in batches of the given sizes with `new_nodes`, as the server does, into a dict that
    stands in for the nodes table; each batch is given only its frontier, and must create exactly the
    nodes that become complete."""
    store: dict[NodeKey, bytes] = {}
    size = 0
    for count in batches:
        frontier = {key: store[key] for key in merkle.frontier(size)}
        leaf_hashes = [reference_leaf_hash(index) for index in range(size, size + count)]
        created = merkle.new_nodes(size, leaf_hashes, frontier)
        assert set(created) == complete_nodes(size + count) - complete_nodes(size)
        store.update(created)
        size += count
        root = merkle.root_from([store[key] for key in merkle.frontier(size)])
        assert root == mth(0, size)
    return store


def random_batches(total: int, seed: int) -> list[int]:
    rng = random.Random(seed)  # noqa: S311 - reproducible batch sizes, not a secret
    batches: list[int] = []
    while sum(batches) < total:
        batches.append(min(rng.choice([1, 1, 2, 3, 5, 8, 13, 64, 100]), total - sum(batches)))
    return batches


@functools.cache
def exhaustive_store() -> dict[NodeKey, bytes]:
    return build_store(random_batches(EXHAUSTIVE, seed=9162))


def assemble_from_store(plan: merkle.Plan, store: dict[NodeKey, bytes], size: int) -> list[bytes]:
    """Assemble giving the plan only what it asked for, after checking it asked only for nodes that exist
    in a tree of `size` leaves (a proof for an old size must not need later nodes)."""
    assert plan.nodes <= complete_nodes(size)
    return plan.assemble({key: store[key] for key in plan.nodes})


# --- hashing and building --------------------------------------------------------------------------------


def test_hashes_follow_rfc_9162_domain_separation() -> None:
    assert merkle.EMPTY_ROOT == hashlib.sha256(b"").digest() == mth(0, 0)
    assert merkle.HASH_SIZE == 32
    assert merkle.leaf_hash(LEAVES[0]) == mth(0, 1)
    assert merkle.node_hash(mth(0, 1), mth(1, 2)) == mth(0, 2)


def test_stored_nodes_are_the_hashes_of_their_ranges() -> None:
    store = exhaustive_store()
    assert set(store) == complete_nodes(EXHAUSTIVE)
    for (level, index), value in store.items():
        assert value == mth(index << level, (index + 1) << level)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, []),
        (1, [(0, 0)]),
        (2, [(1, 0)]),
        (7, [(2, 0), (1, 2), (0, 6)]),
        (8, [(3, 0)]),
        (13, [(3, 0), (2, 2), (0, 12)]),
    ],
)
def test_frontier_is_one_complete_subtree_per_set_bit(size: int, expected: list[NodeKey]) -> None:
    assert merkle.frontier(size) == expected


def test_root_from_matches_mth_and_is_empty_root_for_nothing() -> None:
    store = exhaustive_store()
    assert merkle.root_from([]) == merkle.EMPTY_ROOT
    for size in range(EXHAUSTIVE + 1):
        assert merkle.root_from([store[key] for key in merkle.frontier(size)]) == mth(0, size)


def test_new_nodes_in_one_batch_equals_leaf_by_leaf() -> None:
    assert build_store([EXHAUSTIVE]) == build_store([1] * EXHAUSTIVE) == exhaustive_store()


def test_new_nodes_with_no_leaves_creates_nothing() -> None:
    store = exhaustive_store()
    assert merkle.new_nodes(7, [], {key: store[key] for key in merkle.frontier(7)}) == {}


def test_new_nodes_names_a_missing_frontier_hash() -> None:
    with pytest.raises(MissingNodeError, match=r"\(1, 2\)"):
        merkle.new_nodes(7, [reference_leaf_hash(7)], {(2, 0): mth(0, 4), (0, 6): mth(6, 7)})


def test_new_nodes_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="32"):
        merkle.new_nodes(0, [b"short"], {})
    with pytest.raises(ValueError, match=">= 0"):
        merkle.new_nodes(-1, [], {})


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=10))
def test_any_batching_builds_exactly_the_complete_nodes(batches: list[int]) -> None:
    store = build_store(batches)
    assert set(store) == complete_nodes(sum(batches))


# --- proofs against the reference ------------------------------------------------------------------------


def test_inclusion_plans_match_path_for_every_size_and_index() -> None:
    store = exhaustive_store()
    for size in range(1, EXHAUSTIVE + 1):
        for index in range(size):
            plan = merkle.inclusion_plan(index, size)
            assert assemble_from_store(plan, store, size) == path(index, 0, size), (index, size)


def test_consistency_plans_match_proof_for_every_pair() -> None:
    store = exhaustive_store()
    for second in range(1, EXHAUSTIVE + 1):
        for first in range(1, second + 1):
            plan = merkle.consistency_plan(first, second)
            assert assemble_from_store(plan, store, second) == proof(first, second), (first, second)


def test_root_plans_match_mth_for_every_size() -> None:
    store = exhaustive_store()
    for size in range(EXHAUSTIVE + 1):
        assert assemble_from_store(merkle.root_plan(size), store, size) == [mth(0, size)]
    assert merkle.root_plan(0).assemble({}) == [merkle.EMPTY_ROOT]


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=10),
    picks=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=20),
)
def test_random_larger_trees_match_the_reference(
    batches: list[int], picks: list[tuple[float, float]]
) -> None:
    store = build_store(batches)
    total = sum(batches)
    for low, high in picks:
        second = max(1, round(high * total))
        first = max(1, round(low * second))
        index = min(second - 1, int(low * second))
        assert assemble_from_store(merkle.inclusion_plan(index, second), store, second) == path(
            index, 0, second
        )
        assert assemble_from_store(merkle.consistency_plan(first, second), store, second) == proof(
            first, second
        )
        assert assemble_from_store(merkle.root_plan(second), store, second) == [mth(0, second)]


def test_rfc_9162_section_2_1_5_examples() -> None:
    """The seven-leaf tree of RFC 9162 §2.1.5, with its figure's node names: the path for d0 is [b, h, l];
    PROOF(3) is [c, d, g, l], PROOF(4) is [l] and PROOF(6) is [i, j, k]. Every node is stored except l,
    which is incomplete and so is the fold of i and j."""
    b, c, d = (0, 1), (0, 2), (0, 3)
    g, h, i, j, k = (1, 0), (1, 1), (1, 2), (0, 6), (2, 0)
    l = (i, j)  # noqa: E741 - the RFC's name for the node
    assert merkle.inclusion_plan(0, 7).elements == ((b,), (h,), l)
    assert merkle.consistency_plan(3, 7).elements == ((c,), (d,), (g,), l)
    assert merkle.consistency_plan(4, 7).elements == (l,)
    assert merkle.consistency_plan(6, 7).elements == ((i,), (j,), (k,))
    assert merkle.consistency_plan(7, 7).elements == ()


def test_proof_sizes_stay_logarithmic_at_a_million_leaves() -> None:
    size = 1_000_000
    for index in (0, 1, 524_287, 524_288, 999_999):
        assert len(merkle.inclusion_plan(index, size).nodes) <= 2 * size.bit_length()
    for first in (1, 2, 524_288, 999_998):
        assert len(merkle.consistency_plan(first, size).nodes) <= 2 * size.bit_length()


def test_assemble_names_a_missing_node() -> None:
    with pytest.raises(MissingNodeError, match=r"\(0, 1\)"):
        merkle.inclusion_plan(0, 2).assemble({})


def test_assemble_refuses_a_stored_hash_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="33 bytes"):
        merkle.inclusion_plan(0, 2).assemble({(0, 1): bytes(33)})


# --- invalid requests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "tree_size", "message"),
    [
        (0, 0, "tree_size must be >= 1"),
        (0, -3, "tree_size must be >= 1"),
        (5, 5, "allowed is 0 <= index < 5"),
        (9, 5, "allowed is 0 <= index < 5"),
        (-1, 5, "allowed is 0 <= index < 5"),
    ],
)
def test_inclusion_plan_refuses_what_the_tree_cannot_prove(index: int, tree_size: int, message: str) -> None:
    with pytest.raises(InvalidProofRequest, match=message):
        merkle.inclusion_plan(index, tree_size)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (0, 5, "first must be >= 1"),
        (-2, 5, "first must be >= 1"),
        (6, 5, "allowed is 1 <= first <= second"),
        (1, 0, "allowed is 1 <= first <= second"),
    ],
)
def test_consistency_plan_refuses_what_the_tree_cannot_prove(first: int, second: int, message: str) -> None:
    with pytest.raises(InvalidProofRequest, match=message):
        merkle.consistency_plan(first, second)


def test_root_plan_refuses_a_negative_size_and_non_integers() -> None:
    with pytest.raises(InvalidProofRequest, match=">= 0"):
        merkle.root_plan(-1)
    with pytest.raises(InvalidProofRequest, match="integer"):
        merkle.root_plan(True)
    with pytest.raises(InvalidProofRequest, match="integer"):
        merkle.inclusion_plan(0, 2.0)  # type: ignore[arg-type]


def test_invalid_proof_request_is_a_value_error() -> None:
    assert issubclass(InvalidProofRequest, ValueError)
