"""All SQL of the ledger. Ledgers are public records, so reads need no scoping to a caller.

Appends to one log are serialised by `lock_for_append`, an UPDATE of the log's own row as the first
statement of the transaction: on PostgreSQL it takes the row lock, on SQLite the database write lock,
before anything is read, so two writers can never both build on the same tree size.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.engine import Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import generic_plans
from govhub.kit.clock import utcnow
from govhub.kit.constraints import violated_constraint
from govhub.ledger.errors import LogExists
from govhub.ledger.merkle import EMPTY_ROOT, NodeKey
from govhub.ledger.models import LedgerLeaf, LedgerLog, LedgerNode, LedgerSigningKey

_UNIQUE_LOG_NAME = "uq_ledger_logs_name"
#: Node keys per IN list; both backends take far more, this keeps statements cacheable and small.
_MAX_KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class LogHead:
    id: int
    name: str
    origin: str
    size: int
    root_hash: bytes
    updated_at: datetime


@dataclass(frozen=True)
class StoredEntry:
    index: int
    leaf: bytes
    leaf_hash: bytes


_HEAD_COLUMNS = (
    LedgerLog.id,
    LedgerLog.name,
    LedgerLog.origin,
    LedgerLog.size,
    LedgerLog.root_hash,
    LedgerLog.updated_at,
)


def _head(row: LedgerLog) -> LogHead:
    return LogHead(row.id, row.name, row.origin, row.size, row.root_hash, row.updated_at)


@functools.cache
def _node_lookup_sql(count: int, marker: str) -> str:
    """Only the number of terms varies; every value is a bound parameter."""
    term = f"(log_id = {marker} AND level = {marker} AND idx = {marker})"
    return "SELECT level, idx, hash FROM ledger_nodes WHERE " + " OR ".join([term] * count)  # noqa: S608 (ditto)


@functools.cache
def _head_and_node_lookup_sql(count: int, marker: str) -> str:
    """The log's size and root (as the row with level -1), then the nodes, found by the log's name."""
    head = f"SELECT -1, size, root_hash FROM ledger_logs WHERE name = {marker}"  # noqa: S608 (placeholders)
    if count == 0:
        return head
    log_id = f"(SELECT id FROM ledger_logs WHERE name = {marker})"  # noqa: S608 (a placeholder, not a value)
    term = f"(log_id = {log_id} AND level = {marker} AND idx = {marker})"
    nodes = "SELECT level, idx, hash FROM ledger_nodes WHERE " + " OR ".join([term] * count)  # noqa: S608
    return f"{head} UNION ALL {nodes}"


def _node_rows(result: Result[Any]) -> list[tuple[int, int, bytes]]:
    """Rows of a textual node lookup, which SQLAlchemy cannot type for us."""
    return cast("list[tuple[int, int, bytes]]", result.all())


#: PostgreSQL's twin of the lookup above: the same statement text for any number of nodes, so its plan is
#: prepared once; each key is joined to the primary key. (OR-ed terms would be planned on every call.)
_POSTGRES_HEAD_AND_NODES = (
    "SELECT -1 AS level, size AS idx, root_hash AS hash FROM ledger_logs WHERE name = %(name)s "
    "UNION ALL SELECT n.level, n.idx, n.hash FROM unnest(%(levels)s::smallint[], %(indexes)s::bigint[]) "
    "AS k(level, idx) JOIN ledger_nodes n ON n.log_id = (SELECT id FROM ledger_logs WHERE name = %(name)s) "
    "AND n.level = k.level AND n.idx = k.idx"
)


#: PostgreSQL's append in one round trip: the leaves, the nodes and the new head (data-modifying statements
#: in WITH always run to completion). The same text for any number of rows, so it is prepared once.
_POSTGRES_APPEND = (
    "WITH new_leaves AS (INSERT INTO ledger_leaves (log_id, idx, data) "
    "SELECT %(log_id)s, %(first_index)s + l.ordinality - 1, l.data "
    "FROM unnest(%(leaves)b::bytea[]) WITH ORDINALITY AS l(data, ordinality)), "
    "new_nodes AS (INSERT INTO ledger_nodes (log_id, level, idx, hash) "
    "SELECT %(log_id)s, n.level, n.idx, n.hash "
    "FROM unnest(%(levels)b::smallint[], %(indexes)b::bigint[], %(hashes)b::bytea[]) AS n(level, idx, hash)) "
    "UPDATE ledger_logs SET size = %(size)s, root_hash = %(root)s, updated_at = %(now)s WHERE id = %(log_id)s"
)


#: `lock_for_append` on PostgreSQL: the head, locked, with the frontier nodes of its size (`merkle.frontier`:
#: for each set bit `level` of the size, the node `(level, (size >> level) - 1)`), one row per node found,
#: or one row of NULLs beside the head when there is none.
_POSTGRES_LOCK_AND_FRONTIER = (
    "WITH head AS (UPDATE ledger_logs SET size = size WHERE name = %(name)s "
    "RETURNING id, name, origin, size, root_hash, updated_at) "
    "SELECT head.id, head.name, head.origin, head.size, head.root_hash, head.updated_at, "
    "n.level, n.idx, n.hash FROM head LEFT JOIN LATERAL (SELECT nodes.level, nodes.idx, nodes.hash "
    "FROM generate_series(0, 62) AS b(level) JOIN ledger_nodes nodes ON nodes.log_id = head.id "
    "AND nodes.level = b.level AND nodes.idx = (head.size >> b.level) - 1 "
    "WHERE (head.size >> b.level) & 1 = 1) AS n ON true"
)


#: From how many leaves an append's foreign-key checks (one per leaf and per node) are planned once
#: (`govhub.db.generic_plans`): six appends of 5,000 leaves took 0.44 s of the server's CPU, not 0.96 s.
#: Fewer keep their one round trip.
_GENERIC_PLANS_FROM_LEAVES = 100


@dataclass(frozen=True)
class SizedNodes:
    """A log's size and root, read in the same statement as some of its nodes."""

    size: int
    root_hash: bytes
    nodes: dict[NodeKey, bytes]


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_heads(self) -> list[LogHead]:
        rows = await self.session.scalars(select(LedgerLog).order_by(LedgerLog.name))
        return [_head(row) for row in rows]

    async def head(self, name: str) -> LogHead | None:
        # Core, not ORM: every proof and page starts here, and the ORM layer would double its cost.
        connection = await self.session.connection()
        row = (await connection.execute(select(*_HEAD_COLUMNS).where(LedgerLog.name == name))).one_or_none()
        return None if row is None else LogHead(*row)

    async def create(self, name: str, origin: str) -> LogHead:
        now = utcnow()
        try:
            async with self.session.begin_nested():
                log_id = await self.session.scalar(
                    insert(LedgerLog)
                    .values(
                        name=name, origin=origin, size=0, root_hash=EMPTY_ROOT, created_at=now, updated_at=now
                    )
                    .returning(LedgerLog.id)
                )
        except IntegrityError as error:
            if violated_constraint(error) == _UNIQUE_LOG_NAME:
                raise LogExists(f"A ledger called {name!r} already exists.") from error
            raise
        if log_id is None:
            raise RuntimeError("INSERT ... RETURNING gave no id")
        return LogHead(log_id, name, origin, 0, EMPTY_ROOT, now)

    async def lock_for_append(self, name: str) -> tuple[LogHead, dict[NodeKey, bytes]] | None:
        """Take the log's write lock and read its head in one statement; on PostgreSQL the same statement
        reads the nodes of the head's frontier too (an append's only read), as far as its snapshot shows
        them: one round trip instead of two. That snapshot predates the lock when the statement waited for
        it, so a frontier written by the transaction it waited for can be missing: the caller reads what is
        missing (`read_nodes`). On SQLite the nodes are left to the caller."""
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            result = await connection.exec_driver_sql(_POSTGRES_LOCK_AND_FRONTIER, {"name": name})
            found = cast("list[tuple[Any, ...]]", result.all())
            if not found:
                return None
            log_id, log_name, origin, size, root_hash, updated_at = found[0][:6]
            nodes = {(row[6], row[7]): bytes(row[8]) for row in found if row[6] is not None}
            head = LogHead(log_id, log_name, origin, size, bytes(root_hash), updated_at.astimezone(UTC))
            return head, nodes
        # On the table, not the mapped class: the ORM's bulk-update bookkeeping cost more than the
        # statement on the message log's hot path.
        logs = cast("Table", LedgerLog.__table__)
        row = (
            await connection.execute(
                update(logs)
                .where(logs.c.name == name)
                .values(size=logs.c.size)
                .returning(*(logs.c[column.key] for column in _HEAD_COLUMNS))
            )
        ).one_or_none()
        return None if row is None else (LogHead(*row), {})

    async def read_nodes(self, log_id: int, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored hashes of the given nodes, in one round trip per 500 keys.

        This is the read behind every proof, so it skips SQLAlchemy's statement building: one primary-key
        equality per node, OR-ed, so each term is an index lookup on both backends. (SQLite answers
        `(level, idx) IN (VALUES ...)`, or a shared `log_id = ?` beside the OR, by scanning every node.)
        """
        wanted = list(keys)
        found: dict[NodeKey, bytes] = {}
        connection = await self.session.connection()
        marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        for start in range(0, len(wanted), _MAX_KEYS_PER_QUERY):
            chunk = wanted[start : start + _MAX_KEYS_PER_QUERY]
            parameters: list[int] = []
            for level, idx in chunk:
                parameters += (log_id, level, idx)
            result = await connection.exec_driver_sql(_node_lookup_sql(len(chunk), marker), tuple(parameters))
            found.update({(level, idx): bytes(digest) for level, idx, digest in _node_rows(result)})
        return found

    async def read_head_and_nodes(self, name: str, keys: Iterable[NodeKey]) -> SizedNodes | None:
        """`read_nodes` and the log's size in one round trip, for proofs against a given tree size:
        an auditor's request is one indexed statement. None when there is no such log."""
        wanted = list(keys)
        if len(wanted) > _MAX_KEYS_PER_QUERY:  # proofs need about 2·log2(n); this bounds SQLite's statement
            raise ValueError(f"at most {_MAX_KEYS_PER_QUERY} nodes in one read")
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            levels, indexes = [key[0] for key in wanted], [key[1] for key in wanted]
            arguments = {"name": name, "levels": levels, "indexes": indexes}
            result = await connection.exec_driver_sql(_POSTGRES_HEAD_AND_NODES, arguments)
        else:
            parameters: list[int | str] = [name]
            for level, idx in wanted:
                parameters += (name, level, idx)
            result = await connection.exec_driver_sql(
                _head_and_node_lookup_sql(len(wanted), "?"), tuple(parameters)
            )
        head: tuple[int, bytes] | None = None
        nodes: dict[NodeKey, bytes] = {}
        for level, idx, digest in _node_rows(result):
            if level == -1:
                head = (idx, bytes(digest))
            else:
                nodes[(level, idx)] = bytes(digest)
        return None if head is None else SizedNodes(head[0], head[1], nodes)

    async def append(
        self,
        log_id: int,
        first_index: int,
        leaves: Sequence[bytes],
        nodes: Mapping[NodeKey, bytes],
        root: bytes,
    ) -> datetime:
        """Write leaves, their new complete subtree hashes and the new head, in the caller's transaction."""
        connection = await self.session.connection()
        now = utcnow()
        if connection.dialect.name == "postgresql":
            arguments = {
                "log_id": log_id,
                "first_index": first_index,
                "leaves": list(leaves),
                "levels": [level for level, _ in nodes],
                "indexes": [idx for _, idx in nodes],
                "hashes": list(nodes.values()),
                "size": first_index + len(leaves),
                "root": root,
                "now": now,
            }
            if len(leaves) < _GENERIC_PLANS_FROM_LEAVES:
                await connection.exec_driver_sql(_POSTGRES_APPEND, arguments)
                return now
            async with generic_plans(connection):
                await connection.exec_driver_sql(_POSTGRES_APPEND, arguments)
            return now
        await connection.execute(
            insert(LedgerLeaf),
            [
                {"log_id": log_id, "idx": first_index + offset, "data": leaf}
                for offset, leaf in enumerate(leaves)
            ],
        )
        await connection.execute(
            insert(LedgerNode),
            [
                {"log_id": log_id, "level": level, "idx": idx, "hash": digest}
                for (level, idx), digest in nodes.items()
            ],
        )
        await connection.execute(
            update(LedgerLog)
            .where(LedgerLog.id == log_id)
            .values(size=first_index + len(leaves), root_hash=root, updated_at=now)
        )
        return now

    async def entries(self, log_id: int, start: int, end: int) -> list[StoredEntry]:
        """Leaves [start, end] (inclusive, as in RFC 6962 get-entries) with their stored leaf hashes."""
        rows = await self.session.execute(
            select(LedgerLeaf.idx, LedgerLeaf.data, LedgerNode.hash)
            .join(
                LedgerNode,
                and_(
                    LedgerNode.log_id == LedgerLeaf.log_id,
                    LedgerNode.level == 0,
                    LedgerNode.idx == LedgerLeaf.idx,
                ),
            )
            .where(LedgerLeaf.log_id == log_id, LedgerLeaf.idx >= start, LedgerLeaf.idx <= end)
            .order_by(LedgerLeaf.idx)
        )
        return [StoredEntry(idx, data, digest) for idx, data, digest in rows]

    async def leaves(self, log_id: int, start: int, end: int) -> list[tuple[int, bytes]]:
        rows = await self.session.execute(
            select(LedgerLeaf.idx, LedgerLeaf.data)
            .where(LedgerLeaf.log_id == log_id, LedgerLeaf.idx >= start, LedgerLeaf.idx < end)
            .order_by(LedgerLeaf.idx)
        )
        return [(idx, data) for idx, data in rows]

    async def nodes_at_level(self, log_id: int, level: int, start: int, end: int) -> dict[int, bytes]:
        rows = await self.session.execute(
            select(LedgerNode.idx, LedgerNode.hash).where(
                LedgerNode.log_id == log_id,
                LedgerNode.level == level,
                LedgerNode.idx >= start,
                LedgerNode.idx < end,
            )
        )
        return {idx: digest for idx, digest in rows}  # noqa: C416 (rows are Row objects, not pairs)

    # --- signing keys ---------------------------------------------------------------------------------

    async def signing_keys(self) -> list[LedgerSigningKey]:
        return list(await self.session.scalars(select(LedgerSigningKey).order_by(LedgerSigningKey.id)))

    async def newest_development_key(self) -> str | None:
        return await self.session.scalar(
            select(LedgerSigningKey.private_key)
            .where(LedgerSigningKey.private_key.is_not(None))
            .order_by(LedgerSigningKey.id.desc())
            .limit(1)
        )

    async def record_key(self, verifier_key: str, private_key: str | None) -> None:
        """Record a key once; a second node recording the same key at the same moment is not an error."""
        exists = LedgerSigningKey.verifier_key == verifier_key
        if await self.session.scalar(select(LedgerSigningKey.id).where(exists)) is not None:
            return
        try:
            async with self.session.begin_nested():
                self.session.add(
                    LedgerSigningKey(verifier_key=verifier_key, private_key=private_key, created_at=utcnow())
                )
        except IntegrityError:
            if await self.session.scalar(select(LedgerSigningKey.id).where(exists)) is None:
                raise
