"""The data tracker's JSON bodies (camelCase, as our other JSON APIs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from govhub.exchange import leaves
from govhub.exchange.models import ExchangeRecord
from govhub.exchange.service import RecordProof
from govhub.kit.clock import iso_utc


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class Who(_Camel):
    member: str = Field(description="The member that asked, INSTANCE/CLASS/MEMBER.")
    subsystem: str = Field(description="Its subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM.")


class TrackedExchange(_Camel):
    message_id: str
    at: str = Field(description="When the exchange started, ISO 8601 UTC.")
    who: Who
    service: str = Field(description="The service asked, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE.")
    operation: str | None
    purpose: str | None = Field(description="Why, as the asking member gave it.")
    status: int
    outcome: str = Field(description="ok, refused (by the gateway) or failed.")
    leaf_index: int
    document: str = Field(
        description="The record's canonical document: its SHA-256 (hex) is the `record` of the ledger leaf."
    )
    verify: str = Field(description="Where the leaf's inclusion proof is.")

    @classmethod
    def of(cls, record: ExchangeRecord) -> TrackedExchange:
        return cls(
            message_id=record.message_id,
            at=iso_utc(record.started_at),
            who=Who(member=record.client_id.rsplit("/", 1)[0], subsystem=record.client_id),
            service=record.service_id,
            operation=record.operation,
            purpose=record.purpose,
            status=record.status,
            outcome=record.outcome,
            leaf_index=record.ledger_index,
            document=leaves.document(record).decode(),
            verify=f"/exchange/records/{record.message_id}/proof",
        )


class TrackerPage(_Camel):
    records: list[TrackedExchange]
    next: str | None = Field(description="The next (older) page, or null on the last.")


class RecordProofResponse(_Camel):
    message_id: str
    ledger: str
    leaf_index: int
    leaf: str = Field(description='The leaf, base64: canonical JSON `{"record": <hex>, "v": 1}`.')
    leaf_hash: str = Field(description="RFC 9162 leaf hash, base64.")
    tree_size: int
    path: list[str] = Field(description="RFC 9162 inclusion path, base64 hashes.")
    checkpoint: str = Field(description="The exchange ledger's signed checkpoint (C2SP signed note).")

    @classmethod
    def of(cls, proof: RecordProof) -> RecordProofResponse:
        return cls(
            message_id=proof.message_id,
            ledger=proof.ledger,
            leaf_index=proof.leaf_index,
            leaf=proof.leaf,
            leaf_hash=proof.leaf_hash,
            tree_size=proof.tree_size,
            path=proof.path,
            checkpoint=proof.checkpoint,
        )
