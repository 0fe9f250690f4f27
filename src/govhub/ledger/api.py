"""The ledger's HTTP API (JSON, hashes base64). A browser asking for a ledger or the list of ledgers gets
the page from `pages` at the same address. Reading a ledger is open to anyone: that is the point of a
public, verifiable log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from govhub.dependencies import PageRenderer
from govhub.kit.access import PUBLIC
from govhub.kit.problems import PROBLEM_JSON, wants_html
from govhub.kit.routing import api_router
from govhub.ledger import pages as ledger_pages
from govhub.ledger.dependencies import Ledgers
from govhub.ledger.schemas import (
    ConsistencyProofResponse,
    Entry,
    EntryPage,
    InclusionProofResponse,
    LedgerList,
    LedgerSummary,
    VerifierKeys,
)
from govhub.ledger.service import MAX_ENTRIES_PER_PAGE

router = api_router(prefix="/ledgers", tags=["ledger"], dependencies=[PUBLIC])

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Outside the ledger: an index, size or range it does not hold.",
        "content": {PROBLEM_JSON: {}},
    },
    404: {"description": "No ledger by that name.", "content": {PROBLEM_JSON: {}}},
}
_TEXT: dict[str, Any] = {"content": {"text/plain": {}}}


@router.get("", summary="List ledgers", response_model=LedgerList)
async def list_ledgers(request: Request, ledgers: Ledgers, pages: PageRenderer) -> LedgerList | HTMLResponse:
    heads = await ledgers.heads()
    if wants_html(request):
        return ledger_pages.index(request, pages, heads)
    return LedgerList(ledgers=[LedgerSummary.of(head) for head in heads])


@router.get("/{name}", summary="One ledger's tree head", response_model=LedgerSummary, responses=_PROBLEMS)
async def ledger(
    name: str, request: Request, ledgers: Ledgers, pages: PageRenderer
) -> LedgerSummary | HTMLResponse:
    head = await ledgers.head(name)
    if wants_html(request):
        return await ledger_pages.log(request, pages, ledgers, name, head)
    return LedgerSummary.of(head)


@router.get(
    "/{name}/checkpoint",
    summary="Signed checkpoint",
    description="The current tree head in the C2SP tlog-checkpoint format, signed as a C2SP signed note "
    "(Ed25519).",
    response_class=PlainTextResponse,
    responses={200: _TEXT, **_PROBLEMS},
)
async def checkpoint(name: str, ledgers: Ledgers) -> PlainTextResponse:
    return PlainTextResponse(await ledgers.checkpoint(name), headers={"Cache-Control": "no-cache"})


@router.get(
    "/{name}/key",
    summary="Verifier key",
    description="The signed-note verifier key (`name+id+key`) that checks this ledger's checkpoints.",
    response_class=PlainTextResponse,
    responses={200: _TEXT, **_PROBLEMS},
)
async def verifier_key(name: str, ledgers: Ledgers) -> PlainTextResponse:
    await ledgers.head(name)
    return PlainTextResponse(await ledgers.verifier_key() + "\n")


@router.get(
    "/{name}/keys", summary="Every verifier key, for checkpoints from before a rotation", responses=_PROBLEMS
)
async def verifier_keys(name: str, ledgers: Ledgers) -> VerifierKeys:
    await ledgers.head(name)
    return VerifierKeys(current=await ledgers.verifier_key(), all=await ledgers.verifier_keys())


@router.get("/{name}/entries", summary="Entries", responses=_PROBLEMS)
async def entries(
    name: str,
    ledgers: Ledgers,
    start: Annotated[int, Query(ge=0, description="Index of the first entry.")] = 0,
    end: Annotated[
        int | None,
        Query(
            ge=0,
            description=f"Index of the last entry, inclusive; at most {MAX_ENTRIES_PER_PAGE} are returned.",
        ),
    ] = None,
) -> EntryPage:
    found = await ledgers.entries(name, start, end)
    return EntryPage(entries=[Entry.of(entry) for entry in found.entries], next_start=found.next_start)


@router.get("/{name}/proof/inclusion", summary="Inclusion proof", responses=_PROBLEMS)
async def inclusion_proof(
    name: str,
    ledgers: Ledgers,
    index: Annotated[int, Query(description="Index of the entry.")],
    tree_size: Annotated[
        int | None, Query(description="Size of the tree to prove against; default: current.")
    ] = None,
) -> InclusionProofResponse:
    return InclusionProofResponse.of(await ledgers.inclusion_proof(name, index, tree_size))


@router.get("/{name}/proof/consistency", summary="Consistency proof", responses=_PROBLEMS)
async def consistency_proof(
    name: str,
    ledgers: Ledgers,
    first: Annotated[int, Query(description="The earlier tree size.")],
    second: Annotated[int | None, Query(description="The later tree size; default: current.")] = None,
) -> ConsistencyProofResponse:
    return ConsistencyProofResponse.of(await ledgers.consistency_proof(name, first, second))
