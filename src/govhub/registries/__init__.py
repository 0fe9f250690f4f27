"""Authoritative registers: schema, records, history, proofs, open-data export.

This module is the registries' public face: other blocks import these names from `govhub.registries`, never
from its submodules. Trusted platform code (identity proving, the command line, demo data) reads and writes
registers through `RegistriesService` as a `Caller`; the errors are those its rules raise. Publishing the
registries on the exchange reaches into the members block, so those two functions import it only when called
(importing this face must not import members, exchange or identity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govhub.registries.caller import Caller
from govhub.registries.demo import BIRTHS
from govhub.registries.errors import CallerUnknown, NotGranted, RecordNotFound, RegisterNotFound
from govhub.registries.service import CLASSIFICATIONS, RegisterDefinition, RegistriesService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from govhub.config import Settings
    from govhub.members.xroad_ids import SubsystemId

__all__ = [
    "BIRTHS",
    "CLASSIFICATIONS",
    "Caller",
    "CallerUnknown",
    "NotGranted",
    "RecordNotFound",
    "RegisterDefinition",
    "RegisterNotFound",
    "RegistriesService",
    "allow_exchange_reader",
    "publish_on_exchange",
]


async def publish_on_exchange(session: AsyncSession, settings: Settings) -> str:
    """The platform's member, its `registries` subsystem and the `digitalregistries` service at the public
    URL, added or brought up to date on the exchange. Says what it did."""
    from govhub.registries.exchange_service import publish  # noqa: PLC0415 (members only when called)

    return await publish(session, settings)


async def allow_exchange_reader(
    session: AsyncSession, settings: Settings, reader: SubsystemId, register: str
) -> str:
    """`reader` may call the registries' read endpoint through the exchange gateway and use register
    `register` (as its owner would grant it). Idempotent; says what it did."""
    from govhub.registries.exchange_service import allow_reader  # noqa: PLC0415 (members only when called)

    return await allow_reader(session, settings, reader, register)
