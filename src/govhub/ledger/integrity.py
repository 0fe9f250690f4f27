"""The operator's check of a ledger's own storage: every stored hash recomputed from what lies below it.

Where the auditor (`audit.py`) can only see what the API serves, this reads the tables directly and names
the exact row that no longer matches: a leaf whose bytes do not give its stored hash, a node that is not the
hash of its two children, or a tree head that is not the root of the stored nodes.
"""

from __future__ import annotations

from govhub.kit.encoding import b64
from govhub.ledger import merkle
from govhub.ledger.repository import LedgerRepository, LogHead

_CHUNK = 4096
_MAX_FINDINGS = 20


async def check_storage(repository: LedgerRepository, head: LogHead) -> list[str]:
    """Findings, at most 20; an empty list means every stored hash is what it should be."""
    findings: list[str] = []
    for start in range(0, head.size, _CHUNK):
        end = min(start + _CHUNK, head.size)
        stored = await repository.nodes_at_level(head.id, 0, start, end)
        for index, leaf in await repository.leaves(head.id, start, end):
            if stored.get(index) != merkle.leaf_hash(leaf):
                findings.append(
                    f"leaf {index}: its bytes do not hash to the stored leaf hash (level 0, index {index})"
                )
        if len(findings) >= _MAX_FINDINGS:
            return findings[:_MAX_FINDINGS]

    level = 1
    while (1 << level) <= head.size:
        count = head.size >> level
        for start in range(0, count, _CHUNK):
            end = min(start + _CHUNK, count)
            parents = await repository.nodes_at_level(head.id, level, start, end)
            children = await repository.nodes_at_level(head.id, level - 1, 2 * start, 2 * end)
            for index in range(start, end):
                left, right = children.get(2 * index), children.get(2 * index + 1)
                if left is None or right is None or parents.get(index) != merkle.node_hash(left, right):
                    findings.append(f"node level {level}, index {index}: not the hash of its two children")
            if len(findings) >= _MAX_FINDINGS:
                return findings[:_MAX_FINDINGS]
        level += 1

    plan = merkle.root_plan(head.size)
    root = plan.assemble(await repository.read_nodes(head.id, plan.nodes))[0]
    if root != head.root_hash:
        findings.append(
            f"tree head: stored root {b64(head.root_hash)} is not the root of the stored nodes {b64(root)}"
        )
    return findings
