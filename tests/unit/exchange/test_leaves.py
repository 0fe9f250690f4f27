"""The canonical document and leaf of an exchange record: deterministic, documented, without bodies."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from govhub.exchange import leaves
from govhub.exchange.models import ExchangeRecord


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


def test_the_document_is_canonical_json_of_the_documented_fields() -> None:
    document = leaves.document(_record())

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
