"""What the "exchange" ledger commits to for each record, so anyone can check a record against a signed
checkpoint without the ledger revealing whom an exchange was about.

The *document* of a record is the canonical JSON (sorted keys, no spaces, UTF-8; `json.dumps(value,
sort_keys=True, separators=(",", ":"), ensure_ascii=False)`) of this object (version 2):

    {"v": 2, "messageId", "client", "service", "method", "path", "operation", "user", "purpose",
     "status", "outcome", "errorCode", "requestSize", "responseSize", "requestSha256", "responseSha256",
     "startedAt" (ISO 8601 UTC with microseconds and "Z"), "durationMs", "salt"}

with `null` for what is absent. Bodies are never in it, only their SHA-256 (hex). `user` is a salted
commitment to the person, never their id: the SHA-256 (hex) of `"govhub exchange user|" + salt + "|" +
<account public id>`, so the document can be shown to a service the person lets read their data tracker
without giving it an id that links them across services. Records written before version 2 have `"v": 1`
and `"userId"` (the account's public id) instead of `user`; each record keeps its version
(`ExchangeRecord.document_version`), so every leaf ever appended still verifies.

The *leaf* is the canonical JSON `{"record":"<SHA-256 hex of the document>","v":<the document's
version>}`. The ledger is public, so the leaf carries only a salted commitment: the person a record is about
(or an administrator) reads the document through the data tracker, hashes it, finds the leaf, and checks
the leaf's inclusion proof against the checkpoint with `govhub.ledger.verify`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from govhub.exchange.message_log.models import ExchangeRecord
from govhub.kit.clock import iso_utc

#: The version new records are written with; version 1 named the person by their account's public id.
VERSION = 2
LEGACY_VERSION = 1


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def version_of(record: ExchangeRecord) -> int:
    # A record not yet written has no version set: the column's default, the legacy shape, is what the
    # database would give it. `service._row` sets the current version on every record it makes.
    return record.document_version or LEGACY_VERSION


def user_commitment(salt: str, user_id: str | None) -> str | None:
    if user_id is None:
        return None
    return sha256_hex(f"govhub exchange user|{salt}|{user_id}".encode())


def document(record: ExchangeRecord) -> bytes:
    """The record's canonical document (see the module docstring), in the record's version."""
    version = version_of(record)
    person: dict[str, str | None] = (
        {"userId": record.user_id}
        if version == LEGACY_VERSION
        else {"user": user_commitment(record.salt, record.user_id)}
    )
    return canonical_json(
        {
            "v": version,
            "messageId": record.message_id,
            "client": record.client_id,
            "service": record.service_id,
            "method": record.method,
            "path": record.path,
            "operation": record.operation,
            **person,
            "purpose": record.purpose,
            "status": record.status,
            "outcome": record.outcome,
            "errorCode": record.error_code,
            "requestSize": record.request_size,
            "responseSize": record.response_size,
            "requestSha256": record.request_sha256,
            "responseSha256": record.response_sha256,
            "startedAt": iso_utc(record.started_at),
            "durationMs": record.duration_ms,
            "salt": record.salt,
        }
    )


def leaf_for_document(doc: bytes, version: int = VERSION) -> bytes:
    return canonical_json({"record": sha256_hex(doc), "v": version})


def leaf(record: ExchangeRecord) -> bytes:
    """The ledger leaf committing to `record`."""
    return leaf_for_document(document(record), version_of(record))
