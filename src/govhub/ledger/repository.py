"""All SQL of the ledger. Ledgers are public records, so reads need no scoping to a caller.

Appends to one log are serialised by `lock_for_append`, an UPDATE of the log's own row as the first
statement of the transaction: on PostgreSQL it takes the row lock, on SQLite the database write lock,
before anything is read, so two writers can never both build on the same tree size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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


def _head(row: LedgerLog) -> LogHead:
    return LogHead(row.id, row.name, row.origin, row.size, row.root_hash, row.updated_at)


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_heads(self) -> list[LogHead]:
        rows = await self.session.scalars(select(LedgerLog).order_by(LedgerLog.name))
        return [_head(row) for row in rows]

    async def head(self, name: str) -> LogHead | None:
        row = await self.session.scalar(select(LedgerLog).where(LedgerLog.name == name))
        return None if row is None else _head(row)

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

    async def lock_for_append(self, name: str) -> LogHead | None:
        """Take the log's write lock and read its head in one statement."""
        row = (
            await self.session.execute(
                update(LedgerLog)
                .where(LedgerLog.name == name)
                .values(size=LedgerLog.size)
                .returning(
                    LedgerLog.id,
                    LedgerLog.name,
                    LedgerLog.origin,
                    LedgerLog.size,
                    LedgerLog.root_hash,
                    LedgerLog.updated_at,
                )
            )
        ).one_or_none()
        return None if row is None else LogHead(*row)

    async def read_nodes(self, log_id: int, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        wanted = list(keys)
        found: dict[NodeKey, bytes] = {}
        for start in range(0, len(wanted), _MAX_KEYS_PER_QUERY):
            chunk = wanted[start : start + _MAX_KEYS_PER_QUERY]
            rows = await self.session.execute(
                select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(
                    LedgerNode.log_id == log_id, tuple_(LedgerNode.level, LedgerNode.idx).in_(chunk)
                )
            )
            found.update({(level, idx): digest for level, idx, digest in rows})
        return found

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
        now = utcnow()
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
