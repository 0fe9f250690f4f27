"""The exchange message log: one row per exchange through the gateway, never changed once written.

Client and service are kept as their X-Road style id strings, not foreign keys: the log must outlive the
renaming or removal of members, subsystems and services. Each row commits to a leaf of the "exchange"
ledger (`ledger_index`), see `govhub.exchange.message_log.leaves` for what the leaf holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime

MAX_MESSAGE_ID = 100
#: INSTANCE/CLASS/MEMBER/SUBSYSTEM at most 20 + 3 + 40 + 30 characters and three slashes.
MAX_CLIENT_ID = 100
#: The client's shape and a service code of at most 40.
MAX_SERVICE_ID = 150
MAX_METHOD = 10
MAX_PATH = 1000
MAX_OPERATION = 200
MAX_USER_ID = 36
MAX_PURPOSE = 500
MAX_OUTCOME = 10
MAX_ERROR_CODE = 60


class ExchangeRecord(Base):
    """One exchange, as the gateway saw it. Append-only: an ORM listener refuses updates and deletes."""

    __tablename__ = "exchange_records"
    __table_args__ = (
        # The data tracker's read: a person's records, newest first, by keyset on the ledger index.
        Index("ix_exchange_records_user_id_ledger_index", "user_id", "ledger_index"),
        # The traffic pages' reads (`govhub.exchange.traffic.repository`): a member's exchanges as the
        # client and as the provider, by a prefix of the id, newest first.
        Index("ix_exchange_records_client_id_ledger_index", "client_id", "ledger_index"),
        Index("ix_exchange_records_service_id_ledger_index", "service_id", "ledger_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The `X-Road-Id` of the exchange.
    message_id: Mapped[str] = mapped_column(String(MAX_MESSAGE_ID), unique=True)
    client_id: Mapped[str] = mapped_column(String(MAX_CLIENT_ID))
    service_id: Mapped[str] = mapped_column(String(MAX_SERVICE_ID))
    method: Mapped[str] = mapped_column(String(MAX_METHOD))
    path: Mapped[str] = mapped_column(String(MAX_PATH))
    #: The OpenAPI operationId, or the endpoint's `METHOD path` template, when the gateway knew it.
    operation: Mapped[str | None] = mapped_column(String(MAX_OPERATION))
    #: The public id of the account of the person the exchange is about, if any.
    user_id: Mapped[str | None] = mapped_column(String(MAX_USER_ID))
    purpose: Mapped[str | None] = mapped_column(String(MAX_PURPOSE))
    status: Mapped[int] = mapped_column(SmallInteger)
    #: "ok", "refused" (by the gateway) or "failed" (the provider could not be reached or answered badly).
    outcome: Mapped[str] = mapped_column(String(MAX_OUTCOME))
    error_code: Mapped[str | None] = mapped_column(String(MAX_ERROR_CODE))
    request_size: Mapped[int] = mapped_column(BigInteger)
    response_size: Mapped[int] = mapped_column(BigInteger)
    request_sha256: Mapped[str | None] = mapped_column(String(64))
    response_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The bodies, only when the service asks for them to be kept; the leaf commits to their hashes only.
    request_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: Random, so that a leaf cannot be confirmed by guessing a record's fields (`leaves`).
    salt: Mapped[str] = mapped_column(String(32))
    #: The shape of the record's document (`leaves.document`): 1 carried the account's public id, 2 only
    #: a salted commitment to it. Records keep the version they were written with, so old leaves verify.
    document_version: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    ledger_index: Mapped[int] = mapped_column(BigInteger, unique=True)


class AppendOnly(RuntimeError):
    """Someone tried to change or remove an exchange record: a bug, never an expected path."""


@event.listens_for(ExchangeRecord, "before_update")
def _refuse_update(*_: Any) -> None:
    raise AppendOnly("exchange records are append-only: they are never updated")


@event.listens_for(ExchangeRecord, "before_delete")
def _refuse_delete(*_: Any) -> None:
    raise AppendOnly("exchange records are append-only: they are never deleted")
