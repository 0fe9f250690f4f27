"""All SQL of the traffic views: the message log read per member, as the client and as the provider.

Every read starts from one chokepoint, `readable_exchanges(scope)`, which keeps it to the members in the
scope (or, for the platform's administrators with no member chosen, every exchange).

A member's exchanges are found by a prefix of the logged ids: as the client, `client_id` starts with
`INSTANCE/CLASS/MEMBER/`; as the provider, `service_id` does. The log keeps ids as text on purpose (it
outlives renamed and removed subsystems), so a prefix rather than a join. The prefix is matched twice:
`LIKE` with `%` and `_` escaped (member codes may hold `_`, which LIKE reads as "any character"), which the
`(client_id, ledger_index)` and `(service_id, ledger_index)` indexes can serve; and an exact comparison of
the leading characters, because SQLite's LIKE ignores the case of ASCII letters and identifiers are
case-sensitive (`.../COM/sc123` and `.../COM/SC123` are different members).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from govhub.exchange.message_log.models import ExchangeRecord

#: The escape character of the LIKE patterns built here.
LIKE_ESCAPE = "\\"
AS_CLIENT = "client"
AS_PROVIDER = "provider"
DIRECTIONS = (AS_CLIENT, AS_PROVIDER)


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text` exactly as written (wildcards escaped)."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return escaped + "%"


def starts_with(column: InstrumentedAttribute[str], prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, case-sensitively on both databases (see the module docstring)."""
    return and_(
        column.like(like_prefix(prefix), escape=LIKE_ESCAPE),
        func.substr(column, 1, len(prefix)) == prefix,
    )


@dataclass(frozen=True)
class TrafficScope:
    """Whose exchanges are read. `members`: the member ids (`INSTANCE/CLASS/MEMBER`) whose exchanges are
    read, None for every exchange (only ever built for platform administrators); `direction`: only those
    where the members are the client (`client`) or the provider (`provider`), None for both."""

    members: tuple[str, ...] | None
    direction: str | None = None


def _condition(scope: TrafficScope) -> ColumnElement[bool]:
    if scope.members is None:
        return true()
    if not scope.members:
        return false()
    prefixes = [member + "/" for member in scope.members]
    conditions: list[ColumnElement[bool]] = []
    if scope.direction in (None, AS_CLIENT):
        conditions += [starts_with(ExchangeRecord.client_id, prefix) for prefix in prefixes]
    if scope.direction in (None, AS_PROVIDER):
        conditions += [starts_with(ExchangeRecord.service_id, prefix) for prefix in prefixes]
    return or_(*conditions)


def readable_exchanges(scope: TrafficScope) -> Select[ExchangeRecord]:
    """The one statement every traffic read starts from."""
    return select(ExchangeRecord).where(_condition(scope))


class TrafficRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def records(
        self, scope: TrafficScope, *, outcome: str | None, before_index: int | None, limit: int
    ) -> list[ExchangeRecord]:
        """The scope's records, newest (highest ledger index) first, below `before_index` if given."""
        statement = readable_exchanges(scope)
        if outcome is not None:
            statement = statement.where(ExchangeRecord.outcome == outcome)
        if before_index is not None:
            statement = statement.where(ExchangeRecord.ledger_index < before_index)
        statement = statement.order_by(ExchangeRecord.ledger_index.desc()).limit(limit)
        return list(await self.session.scalars(statement))

    async def outcome_counts(self, scope: TrafficScope, since: datetime) -> list[tuple[str, str, int]]:
        """(service id, outcome, exchanges) for the scope's exchanges started at or after `since`."""
        statement = (
            readable_exchanges(scope)
            .with_only_columns(ExchangeRecord.service_id, ExchangeRecord.outcome, func.count())
            .where(ExchangeRecord.started_at >= since)
            .group_by(ExchangeRecord.service_id, ExchangeRecord.outcome)
        )
        rows = await self.session.execute(statement)
        return [(service_id, outcome, int(count)) for service_id, outcome, count in rows]

    async def recent_durations(
        self, scope: TrafficScope, since: datetime, limit: int
    ) -> Sequence[tuple[str, int]]:
        """(service id, duration in ms) of the scope's latest `limit` exchanges started at or after `since`:
        the bounded sample percentiles are computed from."""
        statement = (
            readable_exchanges(scope)
            .with_only_columns(ExchangeRecord.service_id, ExchangeRecord.duration_ms)
            .where(ExchangeRecord.started_at >= since)
            .order_by(ExchangeRecord.ledger_index.desc())
            .limit(limit)
        )
        rows = await self.session.execute(statement)
        return [(service_id, int(duration)) for service_id, duration in rows]
