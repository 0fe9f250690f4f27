"""A record as it stood at an entry or a moment, and the proof that its entry is in the register's ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govhub.kit.clock import iso_utc
from govhub.kit.encoding import b64
from govhub.kit.errors import FieldError
from govhub.ledger import LedgerService
from govhub.registries.caller import Caller
from govhub.registries.errors import InvalidRecord, RecordNotFound
from govhub.registries.leaves import document, leaf_fields
from govhub.registries.models import RegistryEntry
from govhub.registries.service import Opened, RegistriesService


@dataclass(frozen=True)
class ReadOptions:
    """govhub's extensions to GovStack's `read`: the record as it stood after an entry or at a moment,
    and its entry's inclusion proof."""

    as_of_entry: int | None = None
    as_of_date: datetime | None = None
    proof: bool = False


@dataclass(frozen=True)
class RecordProof:
    """Everything a reader needs to check an entry against a signed checkpoint without trusting us."""

    ledger: str
    entry: int
    leaf_index: int
    leaf: str
    leaf_hash: str
    tree_size: int
    path: list[str]
    checkpoint: str
    #: For an entry of a personal or restricted register: its salt, and the salted document (base64) whose
    #: SHA-256 the leaf commits to (`registries.leaves`). Given only to whoever may read the record.
    salt: str | None = None
    document: str | None = None

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ledger": self.ledger,
            "entry": self.entry,
            "leafIndex": self.leaf_index,
            "leaf": self.leaf,
            "leafHash": self.leaf_hash,
            "treeSize": self.tree_size,
            "path": self.path,
            "checkpoint": self.checkpoint,
        }
        if self.salt is not None:
            answer.update(salt=self.salt, document=self.document)
        return answer


class RecordProofs:
    def __init__(self, registries: RegistriesService, ledgers: LedgerService) -> None:
        self.registries = registries
        self.ledgers = ledgers

    async def entry_as_of(
        self,
        opened: Opened,
        query: dict[str, Any],
        *,
        entry: int | None = None,
        moment: datetime | None = None,
    ) -> RegistryEntry:
        """The latest entry for the record named by the key in `query`, at or before `entry`/`moment`."""
        key_field = opened.version.key_field
        if key_field not in query:
            raise InvalidRecord(
                f"Reading as of an entry or date needs the key field {key_field!r} in the query.",
                field_errors=[FieldError("body", f"/query/content/{key_field}", "required for as-of reads")],
            )
        history = await self.registries.repository.history(opened.register.id, str(query[key_field]))
        past = [
            item
            for item in history
            if (entry is None or item.number <= entry) and (moment is None or item.recorded_at <= moment)
        ]
        if not past or past[-1].kind == "delete":
            raise RecordNotFound("no record found")
        return past[-1]

    async def read_as_of(
        self,
        opened: Opened,
        caller: Caller,
        query: dict[str, Any],
        *,
        entry: int | None,
        moment: datetime | None,
    ) -> RegistryEntry:
        found = await self.entry_as_of(opened, query, entry=entry, moment=moment)
        current = await self.registries.repository.by_key(opened.register.id, found.record_key)
        if current is not None:
            await self.registries.log_reads(opened, caller, [current])
        return found

    async def latest_entry(self, opened: Opened, key: str) -> RegistryEntry:
        history = await self.registries.repository.history(opened.register.id, key)
        if not history:
            raise RecordNotFound("no record found")
        return history[-1]

    async def prove(self, opened: Opened, entry: RegistryEntry) -> RecordProof:
        """The entry's leaf with an inclusion proof against the register ledger's current checkpoint."""
        ledger = opened.register.ledger_name
        head, checkpoint = await self.ledgers.signed_head(ledger)
        size = head.size
        proof = await self.ledgers.inclusion_proof(ledger, entry.ledger_index, size)
        [stored] = (await self.ledgers.entries(ledger, entry.ledger_index, entry.ledger_index)).entries
        salted_document = None
        if entry.salt is not None:
            written_with = await self.registries.repository.version_with_register(entry.version_id)
            fields = leaf_fields(
                register=opened.register.name,
                version=written_with[0].version if written_with is not None else "",
                entry=entry.number,
                kind=entry.kind,
                key=entry.record_key,
                content_hash=entry.content_hash,
                timestamp=iso_utc(entry.recorded_at),
            )
            salted_document = b64(document(fields, entry.salt))
        return RecordProof(
            ledger=ledger,
            entry=entry.number,
            leaf_index=entry.ledger_index,
            leaf=b64(stored.leaf),
            leaf_hash=b64(proof.leaf_hash),
            tree_size=size,
            path=[b64(node) for node in proof.path],
            checkpoint=checkpoint,
            salt=entry.salt,
            document=salted_document,
        )


async def read_record(
    proofs: RecordProofs, opened: Opened, caller: Caller, query: dict[str, Any], options: ReadOptions
) -> dict[str, Any]:
    """GovStack's `read` with govhub's options: `{content}`, plus `entry` (and `proof`) when asked."""
    if options.as_of_entry is None and options.as_of_date is None:
        content = await proofs.registries.read(opened, caller, query)
        if not options.proof:
            return {"content": content}
        entry = await proofs.latest_entry(opened, str(content[opened.version.key_field]))
    else:
        entry = await proofs.read_as_of(
            opened, caller, query, entry=options.as_of_entry, moment=options.as_of_date
        )
        content = entry.content or {}
    answer: dict[str, Any] = {"content": content, "entry": entry.number}
    if options.proof:
        answer["proof"] = (await proofs.prove(opened, entry)).as_json()
    return answer
