"""What the "exchange" ledger commits to for each record, so anyone can check a record against a signed
checkpoint without the ledger revealing whom an exchange was about.

The *document* of a record is the canonical JSON (sorted keys, no spaces, UTF-8; `json.dumps(value,
sort_keys=True, separators=(",", ":"), ensure_ascii=False)`) of this object:

    {"v": 1, "messageId", "client", "service", "method", "path", "operation", "userId", "purpose",
     "status", "outcome", "errorCode", "requestSize", "responseSize", "requestSha256", "responseSha256",
     "startedAt" (ISO 8601 UTC with microseconds and "Z"), "durationMs", "salt"}

with `null` for what is absent. Bodies are never in it, only their SHA-256 (hex).

The *leaf* is the canonical JSON `{"record":"<SHA-256 hex of the document>","v":1}`. The ledger is public,
so the leaf carries only a salted commitment: the person a record is about (or an administrator) reads the
document through the data tracker, hashes it, finds the leaf, and checks the leaf's inclusion proof against
the checkpoint with `govhub.ledger.verify`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from govhub.exchange.models import ExchangeRecord
from govhub.kit.clock import iso_utc

VERSION = 1


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def document(record: ExchangeRecord) -> bytes:
    """The record's canonical document (see the module docstring)."""
    return canonical_json(
        {
            "v": VERSION,
            "messageId": record.message_id,
            "client": record.client_id,
            "service": record.service_id,
            "method": record.method,
            "path": record.path,
            "operation": record.operation,
            "userId": record.user_id,
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


def leaf_for_document(doc: bytes) -> bytes:
    return canonical_json({"record": sha256_hex(doc), "v": VERSION})


def leaf(record: ExchangeRecord) -> bytes:
    """The ledger leaf committing to `record`."""
    return leaf_for_document(document(record))
