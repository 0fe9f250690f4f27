"""The data tracker's merged view: what happened with a person's data, newest first, in one list of
(a) the exchanges about them in the message log and (b) the reads of their record in the register they
proved their identity against (`govhub.registries`' personal data use log).

How a person is linked to register reads: proving (`govhub.identity.proving.service`) keeps the register and
record key an account matched. The registries log each read of a personal record under the record's
*subject id* (the value of the version's subject field, such as the births register's `person_id`), so
the registries say which reads those are (`govhub.registries.read_subject`, by the rule their log
names a read with). Only that one register is searched: subject ids are each
register's own, and the same value in another register need not be the same person. An account that has
proved no identity sees its exchanges only.

Every read here is scoped to one person by their account, passed in by the caller from the signed-in
session or the access token: there is no read of someone else's items.

Paging is by keyset over (time, kind, key), newest first; an exchange sorts before a register read at the
same instant. The cursor is `<microseconds since 1970 UTC>-<e|r><key>`, `key` the ledger index of an
exchange or the id of a read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.errors import ExchangeRecordNotFound
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.exchange.message_log.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, check_message_id
from govhub.identity import verified_identity
from govhub.kit.errors import BadRequest
from govhub.registries import ReadSubject, RecordRead, RegisterSummary, read_subject, reads_about

EXCHANGE: Literal["exchange"] = "exchange"
REGISTRY_READ: Literal["registry-read"] = "registry-read"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST_MICROS = (datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_CURSOR = re.compile(r"^(\d{1,17})-([er])(\d{1,18})$")
#: Reads' ids are 32-bit integers (ledger indexes are 64-bit): a larger key is no cursor of ours.
_MAX_READ_ID = 2**31 - 1


class InvalidTrackerCursor(BadRequest):
    slug = "invalid-tracker-cursor"
    title = "Invalid page cursor"


@dataclass(frozen=True)
class Cursor:
    """A position in the merged list: items strictly after it (older) come next."""

    at: datetime
    kind: str
    key: int

    def encode(self) -> str:
        micros = (self.at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}-{'e' if self.kind == EXCHANGE else 'r'}{self.key}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        found = _CURSOR.match(text)
        if (
            found is None
            or int(found.group(1)) > _LATEST_MICROS
            or (found.group(2) == "r" and int(found.group(3)) > _MAX_READ_ID)
        ):
            raise InvalidTrackerCursor(
                "The page cursor is not one this service gave out: follow the 'older' link, or start from "
                "the newest."
            )
        at = _EPOCH + timedelta(microseconds=int(found.group(1)))
        return cls(at, EXCHANGE if found.group(2) == "e" else REGISTRY_READ, int(found.group(3)))

    def below_for(self, kind: str) -> tuple[datetime, int | None]:
        """The (time, key) bound for items of `kind` that sort after this cursor (see the module doc); a
        key of None keeps every item of that instant."""
        if kind == self.kind:
            return self.at, self.key
        # Exchanges sort first at one instant: after a read's cursor no exchange of that instant is left;
        # after an exchange's cursor every read of that instant is.
        return (self.at, -1) if kind == EXCHANGE else (self.at, None)


#: Whom the registers know the person as: their proved record's register and subject id (the registries'
#: own rule, `govhub.registries.read_subject`).
Subject = ReadSubject


@dataclass(frozen=True)
class TrackerItem:
    kind: str
    at: datetime
    key: int
    record: ExchangeRecord | None = None
    read: RecordRead | None = None
    register: RegisterSummary | None = None

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, self.kind, self.key)

    @property
    def who(self) -> str:
        """The asking subsystem (an exchange's client, a read's reader)."""
        if self.record is not None:
            return self.record.client_id
        return self.read.reader if self.read is not None else ""


def member_of(client: str) -> str | None:
    """`INSTANCE/CLASS/MEMBER` of a subsystem id, None when it is not one (a read by "anonymous")."""
    parts = client.split("/")
    return "/".join(parts[:3]) if len(parts) == 4 else None


@dataclass(frozen=True)
class TrackerView:
    items: list[TrackerItem]
    #: Where the next (older) page starts, None on the last page.
    next: Cursor | None
    #: Names of the members that appear, by `INSTANCE/CLASS/MEMBER`.
    member_names: dict[str, str]
    #: False when the person has proved no identity: register reads cannot be looked up for them.
    registry_linked: bool


def _page_size(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE_SIZE))


class Tracker:
    """The reads of the data tracker, each scoped to one person (`account_id` and its `user_id`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.exchanges = ExchangeRepository(session)

    async def subject(self, account_id: int) -> Subject | None:
        """The person's subject id in the register they proved their identity against, or None."""
        proved = await verified_identity(self.session, account_id)
        if proved is None:
            return None
        return await read_subject(self.session, proved.register, proved.record_key)

    async def registry_reads(
        self, subject: Subject | None, *, before: Cursor | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> list[TrackerItem]:
        """Reads of the person's record, newest first, after `before` (a read cursor or a merged one)."""
        if subject is None:
            return []
        bound = None if before is None else before.below_for(REGISTRY_READ)
        uses = await reads_about(self.session, subject, before=bound, limit=_page_size(limit))
        return [
            TrackerItem(REGISTRY_READ, use.read_at, use.id, read=use, register=subject.register)
            for use in uses
        ]

    async def view(
        self, account_id: int, user_id: str, *, before: Cursor | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> TrackerView:
        """One page of the merged list for the person with account `account_id` (public id `user_id`)."""
        size = _page_size(limit)
        bound = None if before is None else before.below_for(EXCHANGE)
        records = await self.exchanges.about_user_by_time(user_id, before=bound, limit=size + 1)
        subject = await self.subject(account_id)
        items = [TrackerItem(EXCHANGE, r.started_at, r.ledger_index, record=r) for r in records]
        items += await self.registry_reads(subject, before=before, limit=size + 1)
        # Newest first; an exchange (rank 1) before a read (rank 0) at one instant; then by key.
        items.sort(key=lambda item: (item.at, item.kind == EXCHANGE, item.key), reverse=True)
        shown = items[:size]
        members = {m for item in shown if (m := member_of(item.who)) is not None}
        return TrackerView(
            items=shown,
            next=shown[-1].cursor if len(items) > size else None,
            member_names=await self.exchanges.member_names(members),
            registry_linked=subject is not None,
        )

    async def record(self, user_id: str, message_id: str) -> ExchangeRecord:
        """One exchange record about the person; any other (or none) is not found, never refused, so the
        answer does not tell a stranger that a message id exists."""
        record = await self.exchanges.of_user(user_id, check_message_id(message_id))
        if record is None:
            raise ExchangeRecordNotFound(f"There is no exchange about you with message id {message_id!r}.")
        return record

    async def member_names(self, clients: list[str]) -> dict[str, str]:
        return await self.exchanges.member_names({m for c in clients if (m := member_of(c)) is not None})
