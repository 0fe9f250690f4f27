"""Demo data: a ledger of sample register changes, so a newcomer can browse entries and verify proofs."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.service import LedgerService

DEMO_LEDGER = "demo-register"
DEMO_ENTRIES = 128
_PLACES = ["Ambridge", "Borchester", "Felpersham", "Hollerton", "Loxley Barrett", "Penny Hassett", "Edgeley"]


def demo_record(index: int) -> bytes:
    """One change to a register of community buildings, as canonical JSON (sorted keys, no spaces)."""
    record = {
        "register": "community-buildings",
        "entry": index,
        "action": "update" if index % 5 == 4 else "create",
        "item": {"id": f"CB-{index // 5 * 5:04d}", "name": f"{_PLACES[index % len(_PLACES)]} village hall"},
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


async def load(session: AsyncSession, settings: Settings) -> str:
    service = LedgerService.for_session(session, settings)
    head = await service.ensure(DEMO_LEDGER)
    if head.size >= DEMO_ENTRIES:
        return f"ledger {DEMO_LEDGER} already has {head.size} entries"
    await service.append(DEMO_LEDGER, [demo_record(i) for i in range(head.size, DEMO_ENTRIES)])
    await service.checkpoint(DEMO_LEDGER)  # makes the development signing key, if there is none yet
    return f"ledger {DEMO_LEDGER} now has {DEMO_ENTRIES} entries"
