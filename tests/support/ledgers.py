"""Factories for ledger tests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.service import LedgerService


def ledger_service(session: AsyncSession, settings: Settings) -> LedgerService:
    return LedgerService.for_session(session, settings)


def sample_leaves(count: int, prefix: str = "record") -> list[bytes]:
    return [f"{prefix}-{index}".encode() for index in range(count)]


async def create_ledger(
    session: AsyncSession, settings: Settings, name: str, leaves: list[bytes], *, batch: int = 0
) -> LedgerService:
    """A ledger holding `leaves`, appended in batches of `batch` (all at once when 0)."""
    service = ledger_service(session, settings)
    await service.create(name)
    step = batch or max(1, len(leaves))
    for start in range(0, len(leaves), step):
        await service.append(name, leaves[start : start + step])
    return service
