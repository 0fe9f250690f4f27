"""What a register's ledger commits to for each entry (issue 14 §10), so anyone can check an entry against a
signed checkpoint, while the public ledger of a personal or restricted register is no oracle for its content.

The *document* of an entry is the canonical JSON (`records.canonical_json`: sorted keys, no spaces, UTF-8)
of `{"register", "version", "entry", "kind", "key", "content_hash", "timestamp"}`: the register's name, the
schema version, the entry's number, `create`/`update`/`delete`, the record's key, the SHA-256 (hex) of the
canonical JSON of the record's content (`null` content for a delete) and the time (ISO 8601 UTC).

- **Open registers**: the leaf is the document itself. Their content is public: a leaf reveals the entry, and
  the open-data entry stream (`/registers/{name}/entries.json`) lists each entry with its leaf.
- **Personal and restricted registers**: the document also holds `"salt"`, 16 random bytes in hex drawn
  for that entry and kept with it, and the leaf is `{"commitment":"<SHA-256 hex of the salted
  document>","v":2}`. The leaf reveals only that the register had an entry at that index (and, by the
  ledger's size, how many): not its key, its kind or its time, and hashing candidate contents (a 9-digit
  identifier has only 10⁹) finds nothing without the salt. Whoever may read the record gets the salt and
  the document with its proof (`read?proof=true`), hashes the document, and checks the leaf's inclusion proof
  against the checkpoint with `govhub.ledger.verify`.

Entries written before salting existed (govhub before issue 14) keep the unsalted leaf they were appended
with: an append-only ledger cannot re-commit them. Their `salt` is null.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from govhub.kit.clock import iso_utc
from govhub.registries.models import Register, RegisterVersion
from govhub.registries.records import canonical_json, content_hash

#: A JSON string as `json.dumps(text, ensure_ascii=False)` writes it (the function json.dumps itself uses).
_json_string: Callable[[str], str] = json.encoder.encode_basestring

#: The version of the salted leaf (the unsalted one, the document itself, has none).
SALTED_VERSION = 2


def new_salt() -> str:
    return secrets.token_hex(16)


def salted(classification: str) -> bool:
    """Whether entries of a register of this classification are committed to with a salt."""
    return classification != "open"


def leaf_fields(
    *, register: str, version: str, entry: int, kind: str, key: str, content_hash: str, timestamp: str
) -> dict[str, Any]:
    """What an entry's document holds besides its salt."""
    return {
        "register": register,
        "version": version,
        "entry": entry,
        "kind": kind,
        "key": key,
        "content_hash": content_hash,
        "timestamp": timestamp,
    }


def document(fields: dict[str, Any], salt: str | None) -> bytes:
    """The entry's canonical document: `fields` (see the module docstring), with `salt` when it has one."""
    return canonical_json(fields if salt is None else {**fields, "salt": salt})


def leaf(fields: dict[str, Any], salt: str | None) -> bytes:
    """The ledger leaf of an entry: its document when unsalted, else the commitment to the salted document."""
    doc = document(fields, salt)
    return doc if salt is None else _commitment(doc)


def _commitment(salted_document: bytes) -> bytes:
    return canonical_json({"commitment": hashlib.sha256(salted_document).hexdigest(), "v": SALTED_VERSION})


class EntryMaker:
    """The entries of one write to a register, made at one time (`now`), each with its ledger leaf.

    A leaf's document is spelt from a template of what the write's entries share, the same bytes as
    `leaf(leaf_fields(...), salt)` (a test holds it to that) in about a third of the time: a bulk load makes
    thousands. Canonical JSON (`records.canonical_json`): the keys in order, no spaces, strings as
    `json.dumps(..., ensure_ascii=False)` writes them; the hashes and salts are hex and need no escaping."""

    def __init__(self, register: Register, version: RegisterVersion, now: datetime) -> None:
        self.register_id, self.version_id, self.now = register.id, version.id, now
        self.with_salt = salted(register.classification)
        self.register = ',"register":' + _json_string(register.name)
        self.tail = (
            ',"timestamp":' + _json_string(iso_utc(now)) + ',"version":' + _json_string(version.version) + "}"
        )
        self.kinds: dict[str, str] = {}

    def make(
        self, number: int, kind: str, key: str, content: dict[str, Any] | None
    ) -> tuple[dict[str, Any], bytes]:
        """Entry `number`: its row (but for its ledger index, known once the leaf is appended) and leaf."""
        digest = content_hash(content)
        salt = new_salt() if self.with_salt else None
        spelt_kind = self.kinds.get(kind)
        if spelt_kind is None:
            spelt_kind = self.kinds[kind] = ',"kind":' + _json_string(kind)
        document = "".join(
            (
                '{"content_hash":"',
                digest,
                '","entry":',
                str(int(number)),
                ',"key":',
                _json_string(key),
                spelt_kind,
                self.register,
                "" if salt is None else ',"salt":"' + salt + '"',
                self.tail,
            )
        ).encode()
        row = {
            "register_id": self.register_id,
            "number": number,
            "record_key": key,
            "kind": kind,
            "version_id": self.version_id,
            "content": content,
            "content_hash": digest,
            "salt": salt,
            "recorded_at": self.now,
        }
        return row, document if salt is None else _commitment(document)
