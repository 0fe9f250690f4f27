"""Writing exchanges to the message log for tests, one at a time or a few at once, as a test needs them.

The gateway records exchanges through its log writer (`govhub.exchange.message_log.log_writer`), in
groups, renaming a record whose message id was taken meanwhile. A test wants a record it can name and
read back: these go through the same `prepare` and `record_prepared` (the same checks, leaf and ledger
append) but refuse a message id that is taken instead of renaming it, and keep the rows in the session.
They lived in the service, used by nothing but tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.exchange.message_log.service import Exchange, prepare, record_prepared
from govhub.kit.errors import Conflict
from govhub.ledger.service import LedgerService


class DuplicateMessageId(Conflict):
    """The message id is already in the log (or given twice): a test named a record twice."""

    slug = "duplicate-message-id"
    title = "Message id already logged"


async def record_exchanges(
    session: AsyncSession, ledgers: LedgerService, exchanges: Sequence[Exchange]
) -> list[ExchangeRecord]:
    """Record `exchanges` in order with one ledger append, in the caller's unit of work: every one valid
    and new, or none written (the caller rolls back on an error raised after the append)."""
    if not exchanges:
        return []
    rows = [prepare(exchange) for exchange in exchanges]
    message_ids = [row.message_id for row in rows]
    if len(set(message_ids)) != len(message_ids):
        raise DuplicateMessageId("The same message id is given twice.")
    taken = await ExchangeRepository(session).existing_message_ids(message_ids)
    if taken:
        raise DuplicateMessageId(f"Message id {min(taken)!r} is already in the log.")
    return await record_prepared(session, ledgers, rows, read_back=True)


async def record_exchange(
    session: AsyncSession, ledgers: LedgerService, exchange: Exchange
) -> ExchangeRecord:
    """Record one exchange and append its leaf, in the caller's unit of work."""
    [row] = await record_exchanges(session, ledgers, [exchange])
    return row
