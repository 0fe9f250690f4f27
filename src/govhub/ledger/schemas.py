"""Request and response models of the ledger API. Hashes and leaves travel as standard base64."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from govhub.kit.encoding import b64
from govhub.ledger.repository import LogHead, StoredEntry
from govhub.ledger.service import ConsistencyProof, InclusionProof


class LedgerSummary(BaseModel):
    name: str = Field(examples=["land-register"])
    origin: str = Field(description="The origin line of this ledger's checkpoints.")
    size: int = Field(description="Number of entries.")
    root_hash: str = Field(description="RFC 9162 Merkle tree hash of all entries, base64.")
    updated_at: datetime

    @classmethod
    def of(cls, head: LogHead) -> LedgerSummary:
        return cls(
            name=head.name,
            origin=head.origin,
            size=head.size,
            root_hash=b64(head.root_hash),
            updated_at=head.updated_at,
        )


class LedgerList(BaseModel):
    ledgers: list[LedgerSummary]


class Entry(BaseModel):
    index: int
    leaf: str = Field(description="The exact bytes that were hashed, base64.")
    leaf_hash: str = Field(description="SHA-256(0x00 || leaf), base64.")

    @classmethod
    def of(cls, entry: StoredEntry) -> Entry:
        return cls(index=entry.index, leaf=b64(entry.leaf), leaf_hash=b64(entry.leaf_hash))


class EntryPage(BaseModel):
    entries: list[Entry]
    next_start: int | None = Field(description="Pass as start to read on; null when this page reached `end`.")


class InclusionProofResponse(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    path: list[str] = Field(description="RFC 9162 §2.1.3.1 audit path, base64, leaf to root.")

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofResponse:
        return cls(
            index=proof.index,
            tree_size=proof.tree_size,
            leaf_hash=b64(proof.leaf_hash),
            path=[b64(h) for h in proof.path],
        )


class ConsistencyProofResponse(BaseModel):
    first: int
    second: int
    path: list[str] = Field(description="RFC 9162 §2.1.4.1 consistency proof, base64.")

    @classmethod
    def of(cls, proof: ConsistencyProof) -> ConsistencyProofResponse:
        return cls(first=proof.first, second=proof.second, path=[b64(h) for h in proof.path])


class VerifierKeys(BaseModel):
    current: str = Field(description="The signed-note verifier key that signs checkpoints now.")
    all: list[str] = Field(description="Every key that has signed checkpoints here, oldest first.")
