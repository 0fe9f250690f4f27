"""Recording exchanges: each record appends exactly one leaf to the exchange ledger, in the caller's unit
of work, the leaf recomputed from the stored row is the ledger's, and records are never changed."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.errors import InvalidExchange, InvalidMessageId
from govhub.exchange.message_log import leaves
from govhub.exchange.message_log.models import AppendOnly, ExchangeRecord
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.exchange.message_log.service import (
    LEDGER_NAME,
    MessageLog,
    prepare,
    record_prepared,
)
from govhub.ledger.service import LedgerService
from govhub.ledger.verify import leaf_hash
from tests.functional.exchange.support import check_proof, exchange
from tests.support.exchange import DuplicateMessageId, record_exchange, record_exchanges


def _ledgers(session: AsyncSession, settings: Settings) -> LedgerService:
    return LedgerService.for_session(session, settings)


async def _size(ledgers: LedgerService) -> int:
    return (await ledgers.ensure(LEDGER_NAME)).size


async def test_recording_appends_one_leaf_that_the_proof_verifies(
    session: AsyncSession, settings: Settings
) -> None:
    ledgers = _ledgers(session, settings)
    before = await _size(ledgers)

    record = await record_exchange(session, ledgers, exchange(user_id=str(uuid.uuid4())))

    assert await _size(ledgers) == before + 1
    assert record.ledger_index == before
    proof = await MessageLog(ExchangeRepository(session), ledgers).proof(record.message_id)
    leaf = await check_proof(
        ledgers,
        {
            "checkpoint": proof.checkpoint,
            "treeSize": proof.tree_size,
            "leaf": proof.leaf,
            "leafIndex": proof.leaf_index,
            "path": proof.path,
        },
    )
    # The leaf commits to the record's document, which the person reads through the tracker.
    assert json.loads(leaf) == {"record": hashlib.sha256(leaves.document(record)).hexdigest(), "v": 2}
    # The document names the person only by a salted commitment, never by their account's id.
    assert record.user_id is not None
    assert record.user_id.encode() not in leaves.document(record)


async def test_a_batch_is_one_append_with_consecutive_indexes(
    session: AsyncSession, settings: Settings
) -> None:
    ledgers = _ledgers(session, settings)
    before = await _size(ledgers)

    records = await record_exchanges(session, ledgers, [exchange() for _ in range(3)])

    assert [record.ledger_index for record in records] == [before, before + 1, before + 2]
    assert await _size(ledgers) == before + 3


async def test_the_leaf_recomputed_from_the_stored_row_is_the_ledgers(
    session: AsyncSession, settings: Settings
) -> None:
    ledgers = _ledgers(session, settings)
    made = await record_exchange(session, ledgers, exchange(user_id=str(uuid.uuid4()), purpose="Zoë's claim"))
    session.expunge_all()

    stored = (await session.scalars(select(ExchangeRecord).where(ExchangeRecord.id == made.id))).one()
    [entry] = (await ledgers.entries(LEDGER_NAME, stored.ledger_index, stored.ledger_index)).entries

    assert entry.leaf == leaves.leaf(stored)
    assert entry.leaf_hash == leaf_hash(leaves.leaf(stored))


async def test_bodies_are_hashed_and_kept_only_when_asked(session: AsyncSession, settings: Settings) -> None:
    ledgers = _ledgers(session, settings)
    body = b'{"name":"Zo\xc3\xab"}'

    plain = await record_exchange(session, ledgers, exchange(response_body=body))
    kept = await record_exchange(session, ledgers, exchange(response_body=body, keep_bodies=True))

    assert plain.response_sha256 == hashlib.sha256(body).hexdigest()
    assert plain.response_size == len(body)
    assert plain.response_body is None
    assert kept.response_body == body
    assert body not in leaves.document(kept)


async def test_a_record_cannot_be_changed_or_removed(session: AsyncSession, settings: Settings) -> None:
    record = await record_exchange(session, _ledgers(session, settings), exchange())

    record.purpose = "Something else"
    with pytest.raises(AppendOnly):
        await session.flush()
    await session.rollback()


async def test_a_record_cannot_be_deleted(session: AsyncSession, settings: Settings) -> None:
    record = await record_exchange(session, _ledgers(session, settings), exchange())

    await session.delete(record)
    with pytest.raises(AppendOnly):
        await session.flush()
    await session.rollback()


async def test_a_message_id_is_logged_once(session: AsyncSession, settings: Settings) -> None:
    ledgers = _ledgers(session, settings)
    first = await record_exchange(session, ledgers, exchange())
    size = await _size(ledgers)

    with pytest.raises(DuplicateMessageId):
        await record_exchange(session, ledgers, exchange(message_id=first.message_id))
    with pytest.raises(DuplicateMessageId):
        await record_exchanges(session, ledgers, [exchange(message_id="twice"), exchange(message_id="twice")])
    assert await _size(ledgers) == size


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"message_id": "has space"}, InvalidMessageId),
        ({"message_id": ""}, InvalidMessageId),
        ({"message_id": "x" * 101}, InvalidMessageId),
        ({"outcome": "maybe"}, InvalidExchange),
        ({"status": 42}, InvalidExchange),
        ({"purpose": "p" * 501}, InvalidExchange),
        ({"duration_ms": -1}, InvalidExchange),
        ({"request_body": None, "request_sha256": "NOT-HEX"}, InvalidExchange),
    ],
)
async def test_a_bad_record_is_refused_before_anything_is_appended(
    session: AsyncSession, settings: Settings, overrides: dict[str, object], error: type[Exception]
) -> None:
    ledgers = _ledgers(session, settings)
    size = await _size(ledgers)

    with pytest.raises(error):
        await record_exchange(session, ledgers, exchange(**overrides))
    assert await _size(ledgers) == size


async def test_the_gateway_s_batches_keep_a_record_whose_chosen_id_was_taken_under_a_new_one(
    session: AsyncSession, settings: Settings
) -> None:
    ledgers = _ledgers(session, settings)
    taken = await record_exchange(session, ledgers, exchange())
    first, second = (prepare(exchange(message_id=taken.message_id)) for _ in range(2))
    fresh = prepare(exchange())
    twice = prepare(exchange(message_id="chosen-twice"))
    twice_again = prepare(exchange(message_id="chosen-twice"))
    before = await _size(ledgers)

    rows = await record_prepared(
        session,
        ledgers,
        [first, second, fresh, twice, twice_again],
        chosen_ids={taken.message_id, "chosen-twice"},
    )

    # Every record is kept, each leaf appended once; none shares an id with another.
    assert [row.ledger_index for row in rows] == list(range(before, before + 5))
    assert await _size(ledgers) == before + 5
    ids = [row.message_id for row in rows]
    assert len({*ids, taken.message_id}) == 6
    assert ids[3] == "chosen-twice"
    assert ids[4] != "chosen-twice"
    stored = await ExchangeRepository(session).existing_message_ids(ids)
    assert stored == set(ids)
