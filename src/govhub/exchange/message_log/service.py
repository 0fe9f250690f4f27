"""The message log's rules: recording exchanges (each with its leaf in the "exchange" ledger, in the
caller's unit of work), a person's records for the data tracker, and a record's inclusion proof.

The service never commits: the gateway records an exchange in its own unit of work, so the record and its
ledger leaf commit together or not at all.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.errors import (
    ExchangeRecordNotFound,
    InvalidExchange,
    InvalidMessageId,
)
from govhub.exchange.message_log import leaves
from govhub.exchange.message_log.models import (
    MAX_CLIENT_ID,
    MAX_ERROR_CODE,
    MAX_METHOD,
    MAX_OPERATION,
    MAX_PATH,
    MAX_PURPOSE,
    MAX_SERVICE_ID,
    MAX_USER_ID,
    ExchangeRecord,
)
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.kit.encoding import b64
from govhub.ledger import AppendMemo, LedgerService

logger = logging.getLogger("govhub.exchange.log")

#: The ledger every exchange is appended to.
LEDGER_NAME = "exchange"
OUTCOMES = ("ok", "refused", "failed")
#: X-Road message ids are the client's choice; we take letters, digits and `._:-`, as UUIDs and most
#: generated ids are, and nothing that could need escaping in a URL.
MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def check_message_id(message_id: str) -> str:
    if not MESSAGE_ID.match(message_id):
        raise InvalidMessageId(
            "A message id is 1 to 100 letters, digits, dots, colons, underscores and hyphens, starting "
            "with a letter or digit."
        )
    return message_id


@dataclass(frozen=True)
class Exchange:
    """What the gateway saw of one exchange. Bodies are hashed here; they are kept only with `keep_bodies`
    (the service asked for it)."""

    message_id: str
    client_id: str
    service_id: str
    method: str
    path: str
    status: int
    outcome: str
    started_at: datetime
    duration_ms: int
    request_body: bytes | None = None
    response_body: bytes | None = None
    operation: str | None = None
    user_id: str | None = None
    purpose: str | None = None
    error_code: str | None = None
    keep_bodies: bool = False
    #: Sizes when the bodies are not given (streamed by the gateway): then hashes come from the caller.
    request_size: int | None = None
    response_size: int | None = None
    request_sha256: str | None = None
    response_sha256: str | None = None


def _bounded(problems: list[str], name: str, value: str | None, limit: int) -> None:
    if value is not None and not 0 < len(value) <= limit:
        problems.append(f"{name} must be 1 to {limit} characters")


def _body_facts(
    body: bytes | None, size: int | None, digest: str | None, name: str
) -> tuple[int, str | None]:
    if body is not None:
        return len(body), leaves.sha256_hex(body)
    if digest is not None and not _SHA256_HEX.match(digest):
        raise InvalidExchange(f"the {name} SHA-256 must be 64 lower-case hex digits")
    return (size or 0), digest


def _row(exchange: Exchange) -> ExchangeRecord:
    problems: list[str] = []
    check_message_id(exchange.message_id)
    _bounded(problems, "client id", exchange.client_id, MAX_CLIENT_ID)
    _bounded(problems, "service id", exchange.service_id, MAX_SERVICE_ID)
    _bounded(problems, "method", exchange.method, MAX_METHOD)
    _bounded(problems, "path", exchange.path, MAX_PATH)
    _bounded(problems, "operation", exchange.operation, MAX_OPERATION)
    _bounded(problems, "user id", exchange.user_id, MAX_USER_ID)
    _bounded(problems, "purpose", exchange.purpose, MAX_PURPOSE)
    _bounded(problems, "error code", exchange.error_code, MAX_ERROR_CODE)
    if exchange.outcome not in OUTCOMES:
        problems.append(f"outcome must be one of {', '.join(OUTCOMES)}")
    if not 100 <= exchange.status <= 599:
        problems.append("status must be an HTTP status code")
    if exchange.duration_ms < 0 or exchange.started_at.tzinfo is None:
        problems.append("duration must be 0 or more and the start time timezone-aware")
    if problems:
        raise InvalidExchange("; ".join(problems))
    request_size, request_sha256 = _body_facts(
        exchange.request_body, exchange.request_size, exchange.request_sha256, "request"
    )
    response_size, response_sha256 = _body_facts(
        exchange.response_body, exchange.response_size, exchange.response_sha256, "response"
    )
    return ExchangeRecord(
        message_id=exchange.message_id,
        client_id=exchange.client_id,
        service_id=exchange.service_id,
        method=exchange.method.upper(),
        path=exchange.path,
        operation=exchange.operation,
        user_id=exchange.user_id,
        purpose=exchange.purpose,
        status=exchange.status,
        outcome=exchange.outcome,
        error_code=exchange.error_code,
        request_size=request_size,
        response_size=response_size,
        request_sha256=request_sha256,
        response_sha256=response_sha256,
        request_body=exchange.request_body if exchange.keep_bodies else None,
        response_body=exchange.response_body if exchange.keep_bodies else None,
        started_at=exchange.started_at,
        duration_ms=exchange.duration_ms,
        salt=secrets.token_hex(16),
        document_version=leaves.VERSION,
    )


def prepare(exchange: Exchange) -> ExchangeRecord:
    """The exchange checked and made into its record, ready for `record_prepared`; `InvalidExchange`
    saying what is wrong."""
    return _row(exchange)


async def record_prepared(
    session: AsyncSession,
    ledgers: LedgerService,
    rows: Sequence[ExchangeRecord],
    *,
    chosen_ids: Collection[str] | None = None,
    ledger_ready: bool = False,
    memo: AppendMemo | None = None,
    read_back: bool = False,
) -> list[ExchangeRecord]:
    """Record prepared rows in order with one ledger append, in the caller's unit of work (the gateway's
    group commit). Nothing is lost to a message id taken meanwhile (two callers sent the same X-Road-Id at
    once): the later record is kept under a new id, and the change is logged. Only `chosen_ids` (the ids
    callers chose; None: every id) are looked up in the log: a fresh UUID of the gateway's is in no other
    record. `ledger_ready`: the exchange ledger is known to exist. `memo`: the writer's memory of the
    ledger's frontier (`LedgerService.append`). `read_back`: keep the rows in the session, for a caller
    that reads them back in the unit of work (the gateway does not)."""
    if not rows:
        return []
    repository = ExchangeRepository(session)
    looked_up = [row.message_id for row in rows if chosen_ids is None or row.message_id in chosen_ids]
    taken = await repository.existing_message_ids(looked_up) if looked_up else set()
    for row in rows:
        if row.message_id in taken:
            given, row.message_id = row.message_id, str(uuid.uuid4())
            logger.warning(
                "exchange logged as %s: its message id %s was taken meanwhile", row.message_id, given
            )
        taken.add(row.message_id)
    # Unless asked, nobody reads these rows back in the unit of work: inserted without the ORM's bookkeeping.
    return await _append(repository, ledgers, rows, read_back=read_back, ensure=not ledger_ready, memo=memo)


async def _append(
    repository: ExchangeRepository,
    ledgers: LedgerService,
    rows: Sequence[ExchangeRecord],
    *,
    read_back: bool = True,
    ensure: bool = True,
    memo: AppendMemo | None = None,
) -> list[ExchangeRecord]:
    if ensure:
        await ledgers.ensure(LEDGER_NAME)
    appended = await ledgers.append(LEDGER_NAME, [leaves.leaf(row) for row in rows], memo)
    for position, row in enumerate(rows):
        row.ledger_index = appended.first_index + position
    if read_back:
        await repository.add(rows)
    else:
        await repository.insert(rows)
    return list(rows)


@dataclass(frozen=True)
class RecordProof:
    """A record's leaf with its inclusion proof against the exchange ledger's current signed checkpoint.
    It reveals nothing about the record: the leaf is a salted hash of its document."""

    message_id: str
    ledger: str
    leaf_index: int
    leaf: str
    leaf_hash: str
    tree_size: int
    path: list[str]
    checkpoint: str


class MessageLog:
    """Reads of the log: a person's records (the data tracker) and any record's proof."""

    def __init__(self, repository: ExchangeRepository, ledgers: LedgerService) -> None:
        self.repository = repository
        self.ledgers = ledgers

    @classmethod
    def for_session(cls, session: AsyncSession, ledgers: LedgerService) -> MessageLog:
        """The log's reads in `session`: handlers ask for this and build no repository themselves."""
        return cls(ExchangeRepository(session), ledgers)

    async def about_user(
        self, user_id: str, *, before_index: int | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> list[ExchangeRecord]:
        """The records about the person with account public id `user_id`, newest first. This is the one
        read of records by person: routes scope to the caller by passing the caller's own id."""
        return await self.repository.about_user(
            user_id, before_index=before_index, limit=max(1, min(limit, MAX_PAGE_SIZE))
        )

    async def proof(self, message_id: str) -> RecordProof:
        record = await self.repository.by_message_id(check_message_id(message_id))
        if record is None:
            raise ExchangeRecordNotFound(f"There is no exchange record with message id {message_id!r}.")
        head, checkpoint = await self.ledgers.signed_head(LEDGER_NAME)
        proof = await self.ledgers.inclusion_proof(LEDGER_NAME, record.ledger_index, head.size)
        [stored] = (await self.ledgers.entries(LEDGER_NAME, record.ledger_index, record.ledger_index)).entries
        return RecordProof(
            message_id=record.message_id,
            ledger=LEDGER_NAME,
            leaf_index=record.ledger_index,
            leaf=b64(stored.leaf),
            leaf_hash=b64(proof.leaf_hash),
            tree_size=head.size,
            path=[b64(node) for node in proof.path],
            checkpoint=checkpoint,
        )
