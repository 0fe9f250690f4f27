"""`EntryMaker` spells each entry's leaf from a template: the same bytes as the leaf's definition
(`leaf(leaf_fields(...), salt)`, canonical JSON), for keys, names and versions that JSON escapes, salted and
not; and the entry's row holds what the leaf commits to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govhub.kit.clock import iso_utc
from govhub.registries.leaves import EntryMaker, leaf, leaf_fields
from govhub.registries.models import Register, RegisterVersion
from govhub.registries.records import content_hash

AWKWARD = ["0001", 'say "hi"', "back\\slash", "tab\tnew\nline", "ünïcode ✓ 学校", "\x01\x1f", "/", ""]


@pytest.mark.parametrize("classification", ["open", "personal", "restricted"])
@pytest.mark.parametrize("name", ["schools", 'odd "register" ✓'])
def test_each_leaf_is_the_canonical_document_of_its_entry(classification: str, name: str) -> None:
    register = Register(id=3, name=name, classification=classification)
    version = RegisterVersion(id=7, version='v "2" ✓')
    now = datetime(2026, 12, 7, 22, 30, 1, 123456, tzinfo=UTC)
    maker = EntryMaker(register, version, now)
    for number, key in enumerate(AWKWARD, start=41):
        for kind, content in [("create", {"key": key, "n": number}), ("delete", None)]:
            row, made = maker.make(number, kind, key, content)
            fields = leaf_fields(
                register=name,
                version=version.version,
                entry=number,
                kind=kind,
                key=key,
                content_hash=content_hash(content),
                timestamp=iso_utc(now),
            )
            assert made == leaf(fields, row["salt"])
            assert (row["salt"] is None) == (classification == "open")
            assert row == {
                "register_id": 3,
                "number": number,
                "record_key": key,
                "kind": kind,
                "version_id": 7,
                "content": content,
                "content_hash": content_hash(content),
                "salt": row["salt"],
                "recorded_at": now,
            }
