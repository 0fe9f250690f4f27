"""The data tracker's pages for the signed-in person: "Who used your data" (`/account/data-use`), one list
newest first of the exchanges about them and the reads of their register record, and one exchange with its
inclusion proof explained step by step (`/account/data-use/{messageId}`), which the list's "verify" links
open.

Only the person an exchange is about sees its page: for anyone else the record is not found, the same
answer as for a message id that was never logged. The proof itself stays public as JSON
(`/exchange/records/{messageId}/proof`); it reveals no record contents. The reads are in
`govhub.exchange.tracker.service`, each scoped to the signed-in account.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.exchange.message_log import leaves
from govhub.exchange.message_log.service import LEDGER_NAME, MESSAGE_ID, MessageLog
from govhub.exchange.tracker.service import EXCHANGE, Cursor, Tracker, TrackerItem, member_of
from govhub.identity import SignedIn, current_sign_in, needs_sign_in, prove_identity_url
from govhub.kit import forms
from govhub.kit.access import PUBLIC
from govhub.kit.routing import api_router
from govhub.ledger import Ledgers

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

DATA_USE = "/account/data-use"
PAGE_SIZE = 20
OUTCOMES = {"ok": "Answered", "refused": "Refused by the gateway", "failed": "Failed"}


def when(item: TrackerItem) -> str:
    return item.at.strftime("%-d %B %Y at %H:%M:%S UTC")


def record_href(message_id: str) -> str:
    # Message ids are letters, digits and `._:-` only (`exchange.service.MESSAGE_ID`): safe in a path.
    return f"{DATA_USE}/{message_id}"


def _who(client: str, names: dict[str, str]) -> dict[str, str | None]:
    member = member_of(client)
    return {"name": None if member is None else names.get(member), "subsystem": client}


def _row(item: TrackerItem, names: dict[str, str]) -> dict[str, Any]:
    """What the list shows of one item, for either kind."""
    if item.record is not None:
        record = item.record
        return {
            "kind": EXCHANGE,
            "when": when(item),
            "who": _who(record.client_id, names),
            "what": record.service_id,
            "operation": record.operation,
            "purpose": record.purpose,
            "outcome": OUTCOMES.get(record.outcome, record.outcome),
            "verify": record_href(record.message_id),
            "message_id": record.message_id,
        }
    read, register = item.read, item.register
    return {
        "kind": "registry-read",
        "when": when(item),
        "who": _who(read.reader if read else "", names),
        "what": register.title if register else "",
        "register_href": f"/registers/{quote(register.name, safe='')}" if register else None,
        "purpose": read.purpose if read else None,
    }


async def _signed_in(request: Request, db: DbSession, path: str) -> SignedIn | Response:
    """Who is signed in, or the way to sign in and come back to `path`."""
    signed_in = await current_sign_in(request, db)
    if signed_in is None:
        return needs_sign_in(path)
    return signed_in


@router.get(DATA_USE)
async def data_use_page(request: Request, db: DbSession, pages: PageRenderer) -> Response:
    account = await _signed_in(request, db, DATA_USE)
    if isinstance(account, Response):
        return account
    raw_before = request.query_params.get("before")
    before = None if raw_before is None else Cursor.parse(raw_before)
    view = await Tracker(db).view(
        account.account_id, account.account_public_id, before=before, limit=PAGE_SIZE
    )
    older = None if view.next is None else f"{DATA_USE}?{urlencode({'before': view.next.encode()})}"
    return forms.render_page(
        pages,
        request,
        "exchange/data_use.html",
        {
            "page_title": "Who used your data",
            "rows": [_row(item, view.member_names) for item in view.items],
            "older": older,
            "newest": DATA_USE if before is not None else None,
            "paged": before is not None,
            "registry_linked": view.registry_linked,
            "prove_identity_href": prove_identity_url(DATA_USE),
        },
    )


@router.get(DATA_USE + "/{message_id}")
async def data_use_record_page(
    message_id: str,
    request: Request,
    db: DbSession,
    *,
    pages: PageRenderer,
    ledgers: Ledgers,
    settings: AppSettings,
) -> Response:
    back = record_href(message_id) if MESSAGE_ID.match(message_id) else DATA_USE
    account = await _signed_in(request, db, back)
    if isinstance(account, Response):
        return account
    tracker = Tracker(db)
    record = await tracker.record(account.account_public_id, message_id)
    proof = await MessageLog.for_session(db, ledgers).proof(record.message_id)
    names = await tracker.member_names([record.client_id])
    document = leaves.document(record)
    return forms.render_page(
        pages,
        request,
        "exchange/data_use_record.html",
        {
            "page_title": "An exchange about you",
            "record": record,
            "who": _who(record.client_id, names),
            "started": record.started_at.strftime("%-d %B %Y at %H:%M:%S UTC"),
            "outcome": OUTCOMES.get(record.outcome, record.outcome),
            "document": document.decode(),
            "document_sha256": leaves.sha256_hex(document),
            "leaf_text": base64.b64decode(proof.leaf).decode(),
            "proof": proof,
            "ledger": LEDGER_NAME,
            "json_href": f"/exchange/records/{record.message_id}/proof",
            "verify_command": f"govhub ledger verify {LEDGER_NAME} --url {settings.public_url}",
            "back_href": DATA_USE,
        },
    )
