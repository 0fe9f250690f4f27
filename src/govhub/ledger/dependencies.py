"""The ledger's per-node state and request dependencies: the keyring (one per app node) and the ledger
service over the request's unit of work. Other blocks' routes depend on `Ledgers` and `keyring_of` to append
to and read their own ledgers, so they live here, not among the ledger's route handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from govhub.dependencies import AppSettings, DbSession
from govhub.ledger.keys import Keyring
from govhub.ledger.service import LedgerService


async def keyring_of(request: Request, settings: AppSettings) -> Keyring:
    """One keyring per app node, made on first use, so the signing key is looked up once."""
    keyring: Keyring | None = getattr(request.app.state, "ledger_keyring", None)
    if keyring is None:
        keyring = request.app.state.ledger_keyring = Keyring(settings)
    return keyring


async def ledger_service(
    session: DbSession, settings: AppSettings, keyring: Annotated[Keyring, Depends(keyring_of)]
) -> LedgerService:
    """The ledger service over the request's unit of work; other blocks' routes depend on it too."""
    return LedgerService.for_session(session, settings, keyring)


Ledgers = Annotated[LedgerService, Depends(ledger_service)]
