"""All SQL of the message log. Inserts and reads only: there is no update or delete here on purpose."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.models import ExchangeRecord


class ExchangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, records: Sequence[ExchangeRecord]) -> None:
        self.session.add_all(records)
        await self.session.flush()

    async def by_message_id(self, message_id: str) -> ExchangeRecord | None:
        found = await self.session.scalars(
            select(ExchangeRecord).where(ExchangeRecord.message_id == message_id)
        )
        return found.one_or_none()

    async def existing_message_ids(self, message_ids: Sequence[str]) -> set[str]:
        found = await self.session.scalars(
            select(ExchangeRecord.message_id).where(ExchangeRecord.message_id.in_(message_ids))
        )
        return set(found)

    async def about_user(self, user_id: str, *, before_index: int | None, limit: int) -> list[ExchangeRecord]:
        """The person's records, newest (highest ledger index) first, below `before_index` if given."""
        statement = select(ExchangeRecord).where(ExchangeRecord.user_id == user_id)
        if before_index is not None:
            statement = statement.where(ExchangeRecord.ledger_index < before_index)
        statement = statement.order_by(ExchangeRecord.ledger_index.desc()).limit(limit)
        return list(await self.session.scalars(statement))
