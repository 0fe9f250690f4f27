"""The ledger's pages: the list of ledgers and one ledger's head, checkpoint and recent entries. They share
their addresses with the API (`/ledgers`, `/ledgers/{name}`): the API handlers render these when a browser
asks for HTML, so a link to a ledger works for people and programs alike."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import HTMLResponse

from govhub.kit.encoding import b64
from govhub.kit.templating import Pages
from govhub.ledger.repository import LogHead
from govhub.ledger.schemas import Entry
from govhub.ledger.service import LedgerService


def index(request: Request, pages: Pages, heads: Sequence[LogHead]) -> HTMLResponse:
    """Every ledger on this node with its size and root."""
    return pages.render(request, "ledger/index.html", {"page_title": "Verifiable ledgers", "heads": heads})


async def log(
    request: Request, pages: Pages, ledgers: LedgerService, name: str, head: LogHead
) -> HTMLResponse:
    """One ledger: its tree head, signed checkpoint, verifier key and the last ten entries, newest first."""
    recent_start = max(0, head.size - 10)
    recent = (await ledgers.entries(name, recent_start, None)).entries if head.size else []
    return pages.render(
        request,
        "ledger/log.html",
        {
            "page_title": f"Ledger {name}",
            "head": head,
            "root": b64(head.root_hash),
            "checkpoint": await ledgers.checkpoint(name),
            "verifier_key": await ledgers.verifier_key(),
            "recent": [Entry.of(entry) for entry in reversed(recent)],
        },
    )
