"""All SQL of the message log. Inserts and reads only: there is no update or delete here on purpose."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.message_log.models import ExchangeRecord
from govhub.members import member_names


class ExchangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, records: Sequence[ExchangeRecord]) -> None:
        self.session.add_all(records)
        await self.session.flush()

    async def insert(self, records: Sequence[ExchangeRecord]) -> None:
        """`add` for records nobody reads back in this unit of work (the gateway's log writer): one
        executemany, without the ORM's bookkeeping and the ids it reads back."""
        table = cast("Table", ExchangeRecord.__table__)
        columns = [column.key for column in table.columns if column.key != "id"]
        # On the table through the connection: the ORM's bulk-insert path cost more than the statement.
        connection = await self.session.connection()
        await connection.execute(
            insert(table), [{name: getattr(record, name) for name in columns} for record in records]
        )

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

    # --- the data tracker page's reads (`govhub.exchange.tracker.service`) ----------------------------------

    async def about_user_by_time(
        self, user_id: str, *, before: tuple[datetime, int | None] | None, limit: int
    ) -> list[ExchangeRecord]:
        """The person's records newest first by start time (then ledger index), strictly below `before`
        = (started at, ledger index), or at or before its time when the index is None: the order the
        tracker merges them with register reads in. A person's records are few, so the sort after the
        `user_id` index is cheap."""
        statement = select(ExchangeRecord).where(ExchangeRecord.user_id == user_id)
        if before is not None:
            at, index = before
            statement = statement.where(
                ExchangeRecord.started_at <= at
                if index is None
                else or_(
                    ExchangeRecord.started_at < at,
                    and_(ExchangeRecord.started_at == at, ExchangeRecord.ledger_index < index),
                )
            )
        statement = statement.order_by(
            ExchangeRecord.started_at.desc(), ExchangeRecord.ledger_index.desc()
        ).limit(limit)
        return list(await self.session.scalars(statement))

    async def of_user(self, user_id: str, message_id: str) -> ExchangeRecord | None:
        """One record, only if it is about the person `user_id`: the page of one record reads nothing else."""
        return await self.session.scalar(
            select(ExchangeRecord).where(
                ExchangeRecord.message_id == message_id, ExchangeRecord.user_id == user_id
            )
        )

    async def member_names(self, member_ids: Iterable[str]) -> dict[str, str]:
        """Names of members by `INSTANCE/CLASS/MEMBER`, whatever their status: a person is told who asked
        even when that member has since been suspended. Ids not of that shape, or unknown, are left out.
        Members' own answer (`govhub.members.member_names`): the exchange reads none of their tables."""
        return await member_names(self.session, member_ids)
