"""The data tracker's JSON bodies (camelCase, as our other JSON APIs)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from govhub.exchange.message_log import leaves
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.service import RecordProof
from govhub.exchange.tracker.service import member_of
from govhub.kit.clock import iso_utc
from govhub.registries import RecordRead, RegisterSummary


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class Who(_Camel):
    member: str = Field(description="The member that asked, INSTANCE/CLASS/MEMBER.")
    subsystem: str = Field(description="Its subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
    member_name: str | None = Field(
        default=None, description="The member's name, when it is a member of this network."
    )


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
    def of(cls, record: ExchangeRecord, member_names: Mapping[str, str] | None = None) -> TrackedExchange:
        member = record.client_id.rsplit("/", 1)[0]
        return cls(
            message_id=record.message_id,
            at=iso_utc(record.started_at),
            who=Who(member=member, subsystem=record.client_id, member_name=(member_names or {}).get(member)),
            service=record.service_id,
            operation=record.operation,
            purpose=record.purpose,
            status=record.status,
            outcome=record.outcome,
            leaf_index=record.ledger_index,
            document=leaves.document(record).decode(),
            verify=f"/exchange/records/{record.message_id}/proof",
        )


class TrackedRegistryRead(_Camel):
    """A read of the person's record in the register they proved their identity against."""

    at: str = Field(description="When the record was read, ISO 8601 UTC.")
    register_name: str = Field(description="The register's name, as in `/registers/{name}`.")
    register_title: str
    record_key: str = Field(description="The key of the person's record that was read.")
    reader: str = Field(description='Who read it, INSTANCE/CLASS/MEMBER/SUBSYSTEM, or "anonymous".')
    reader_member: str | None = Field(description="The reader's member, INSTANCE/CLASS/MEMBER.")
    reader_member_name: str | None = Field(
        default=None, description="The member's name, when it is a member of this network."
    )
    purpose: str = Field(description="Why, as the reader gave it.")

    @classmethod
    def of(
        cls, use: RecordRead, register: RegisterSummary, member_names: Mapping[str, str]
    ) -> TrackedRegistryRead:
        member = member_of(use.reader)
        return cls(
            at=iso_utc(use.read_at),
            register_name=register.name,
            register_title=register.title,
            record_key=use.record_key,
            reader=use.reader,
            reader_member=member,
            reader_member_name=None if member is None else member_names.get(member),
            purpose=use.purpose,
        )


class TrackerPage(_Camel):
    records: list[TrackedExchange]
    next: str | None = Field(description="The next (older) page of `records`, or null on the last.")
    registry_reads: list[TrackedRegistryRead] = Field(
        default_factory=list,
        description="Reads of the caller's record in the register they proved their identity against, "
        "newest first. Empty on a page of older `records` (`before` without `readsBefore`).",
    )
    registry_reads_next: str | None = Field(
        default=None, description="The next (older) page of `registryReads`, or null on the last."
    )
    registry_reads_available: bool = Field(
        default=False,
        description="False while the caller has proved no identity against a register: then reads of "
        "register records about them cannot be found, and `registryReads` is empty.",
    )


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
