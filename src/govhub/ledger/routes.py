"""The ledger block's routes: the API under `/ledgers` (a browser gets its pages at the same addresses)."""

from __future__ import annotations

from fastapi import APIRouter

from govhub.ledger import api

router = APIRouter()
router.include_router(api.router)
