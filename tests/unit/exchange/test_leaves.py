"""The canonical document and leaf of an exchange record: deterministic, documented, without bodies, and
(from version 2) naming the person only by a salted commitment."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from govhub.exchange.message_log import leaves
from govhub.exchange.message_log.models import ExchangeRecord


def _record(**overrides: object) -> ExchangeRecord:
    values: dict[str, object] = {
        "message_id": "m-1",
        "client_id": "GOV/GOV/1/app",
        "service_id": "GOV/GOV/2/api/people",
        "method": "GET",
        "path": "/people/1",
        "operation": None,
        "user_id": "3f1c1b55-0000-4000-8000-000000000001",
        "purpose": "Zoë's claim",
        "status": 200,
        "outcome": "ok",
        "error_code": None,
        "request_size": 0,
        "response_size": 5,
        "request_sha256": None,
        "response_sha256": "ab" * 32,
        "request_body": b"secret",
        "response_body": b"hello",
        "started_at": datetime(2026, 11, 27, 9, 30, 0, 123456, tzinfo=UTC),
        "duration_ms": 12,
        "salt": "00" * 16,
        "ledger_index": 7,
        **overrides,
    }
    return ExchangeRecord(**values)


def test_a_version_1_document_is_canonical_json_of_the_documented_fields() -> None:
    document = leaves.document(_record(document_version=1))

    assert (
        document
        == (
            '{"client":"GOV/GOV/1/app","durationMs":12,"errorCode":null,"messageId":"m-1","method":"GET",'
            '"operation":null,"outcome":"ok","path":"/people/1","purpose":"Zoë\'s claim",'
            '"requestSha256":null,'
            '"requestSize":0,"responseSha256":"' + "ab" * 32 + '","responseSize":5,'
            '"salt":"'
            + "00"
            * 16
            + '","service":"GOV/GOV/2/api/people","startedAt":"2026-11-27T09:30:00.123456Z",'
            '"status":200,"userId":"3f1c1b55-0000-4000-8000-000000000001","v":1}'
        ).encode()
    )


def test_bodies_and_the_ledger_index_are_not_in_the_document() -> None:
    document = leaves.document(_record())

    assert b"secret" not in document
    assert b"hello" not in document
    assert "ledgerIndex" not in json.loads(document)


def test_the_leaf_is_a_salted_commitment_to_the_document() -> None:
    record = _record()

    assert (
        leaves.leaf(record)
        == ('{"record":"' + hashlib.sha256(leaves.document(record)).hexdigest() + '","v":1}').encode()
    )
    assert leaves.leaf(record) != leaves.leaf(_record(salt="11" * 16))
    assert leaves.leaf(record) != leaves.leaf(_record(purpose="Another reason"))


def test_a_version_2_document_commits_to_the_person_without_naming_them() -> None:
    user_id = "3f1c1b55-0000-4000-8000-000000000001"
    record = _record(document_version=2)

    document = json.loads(leaves.document(record))

    assert document["v"] == 2
    assert "userId" not in document
    assert user_id not in leaves.document(record).decode()
    expected = hashlib.sha256(f"govhub exchange user|{'00' * 16}|{user_id}".encode()).hexdigest()
    assert document["user"] == expected
    # Salted per record: two records about one person do not share a value a reader could link.
    assert json.loads(leaves.document(_record(document_version=2, salt="11" * 16)))["user"] != expected
    assert json.loads(leaves.document(_record(document_version=2, user_id=None)))["user"] is None
    assert json.loads(leaves.leaf(record)) == {
        "record": hashlib.sha256(leaves.document(record)).hexdigest(),
        "v": 2,
    }
