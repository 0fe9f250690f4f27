"""Ledger tables. A leaf is kept as the exact bytes that were hashed; every complete subtree hash (level 0
being the leaf hashes) is kept too, so roots and proofs are O(log n) reads, never a pass over the leaves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime


class LedgerLog(Base):
    """One named log and its current tree head."""

    __tablename__ = "ledger_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    #: The checkpoint origin line, fixed when the log is made so that old checkpoints stay valid.
    origin: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerLeaf(Base):
    __tablename__ = "ledger_leaves"

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerNode(Base):
    """The hash of the complete subtree covering leaves [idx << level, (idx + 1) << level)."""

    __tablename__ = "ledger_nodes"

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerSigningKey(Base):
    """Every key that has signed checkpoints, so checkpoints signed before a rotation stay verifiable."""

    __tablename__ = "ledger_signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verifier_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: Kept only for keys generated in development; production keys live in settings, never here.
    private_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
