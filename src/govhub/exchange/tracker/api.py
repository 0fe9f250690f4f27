"""The data tracker's API: a person's exchanges (who asked, when, for what service and why), each with a
link to its inclusion proof in the exchange ledger, and the reads of their record in the register they
proved their identity against (`govhub.exchange.tracker.service`). The same for a browser is in `pages`.

Who may read what: a record is read only by the person it is about (`GET /exchange/tracker`, with an
access token issued to them with the `govhub:data-use` scope they consented to). A proof is open to anyone
(`GET /exchange/records/{messageId}/proof`): its
leaf is a salted hash of the record, so it shows that a record exists at an index, never what it says.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query

from govhub.dependencies import DbSession
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MessageLog
from govhub.exchange.tracker.access import TrackedAccount
from govhub.exchange.tracker.schemas import (
    RecordProofResponse,
    TrackedExchange,
    TrackedRegistryRead,
    TrackerPage,
)
from govhub.exchange.tracker.service import Cursor, Tracker
from govhub.kit.access import PUBLIC
from govhub.kit.problems import PROBLEM_JSON
from govhub.kit.routing import api_router
from govhub.ledger import Ledgers

router = api_router(prefix="/exchange", tags=["exchange"])

_TRACKER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token (RFC 6750 error body)."},
    400: {"description": "`readsBefore` is not a cursor this API gave out.", "content": {PROBLEM_JSON: {}}},
    403: {
        "description": "The token is not about a person (a problem), or lacks the govhub:data-use scope the "
        "person consents to (RFC 6750 `insufficient_scope` error body).",
        "content": {PROBLEM_JSON: {}},
    },
}
_PROOF_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not a message id.", "content": {PROBLEM_JSON: {}}},
    404: {"description": "No record with that message id.", "content": {PROBLEM_JSON: {}}},
}


async def _log(db: DbSession, ledgers: Ledgers) -> MessageLog:
    return MessageLog.for_session(db, ledgers)


@router.get(
    "/tracker",
    summary="Who used my data",
    response_model=TrackerPage,
    responses=_TRACKER_ERRORS,
)
async def tracker(
    account: TrackedAccount,
    db: DbSession,
    ledgers: Ledgers,
    *,
    before: Annotated[
        int | None, Query(ge=0, description="Only records older than this leaf index (from `next`).")
    ] = None,
    reads_before: Annotated[
        str | None,
        Query(
            alias="readsBefore",
            max_length=40,
            description="Only register reads older than this cursor (from `registryReadsNext`).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> TrackerPage:
    """The exchanges about the caller, newest first, and the reads of their record in the register they
    proved their identity against. Each list pages on its own: a `next` link pages `records` only, a
    `registryReadsNext` link `registryReads` only."""
    cursor = None if reads_before is None else Cursor.parse(reads_before)
    records: list[ExchangeRecord] = []
    if cursor is None or before is not None:
        log = await _log(db, ledgers)
        records = await log.about_user(account.public_id, before_index=before, limit=limit)
    following = None
    if len(records) == limit:
        following = f"/exchange/tracker?before={records[-1].ledger_index}&limit={limit}"
    data_tracker = Tracker(db)
    subject = await data_tracker.subject(account.id)
    reads = []
    if before is None or cursor is not None:
        reads = await data_tracker.registry_reads(subject, before=cursor, limit=limit)
    reads_following = None
    if len(reads) == limit:
        reads_following = f"/exchange/tracker?readsBefore={reads[-1].cursor.encode()}&limit={limit}"
    names = await data_tracker.member_names([r.client_id for r in records] + [i.who for i in reads])
    return TrackerPage(
        records=[TrackedExchange.of(record, names) for record in records],
        next=following,
        registry_reads=[
            TrackedRegistryRead.of(item.read, item.register, names)
            for item in reads
            if item.read is not None and item.register is not None
        ],
        registry_reads_next=reads_following,
        registry_reads_available=subject is not None,
    )


@router.get(
    "/records/{messageId}/proof",
    summary="Inclusion proof of an exchange record",
    response_model=RecordProofResponse,
    responses=_PROOF_ERRORS,
    dependencies=[PUBLIC],
)
async def record_proof(
    message_id: Annotated[str, PathParam(alias="messageId")],
    db: DbSession,
    ledgers: Ledgers,
) -> RecordProofResponse:
    """The record's ledger leaf, its inclusion proof and the signed checkpoint it verifies against."""
    return RecordProofResponse.of(await (await _log(db, ledgers)).proof(message_id))
