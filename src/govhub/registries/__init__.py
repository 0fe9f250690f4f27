"""Authoritative registers: schema, records, history, proofs, open-data export.

This module is the registries' public face: other blocks import these names from `govhub.registries`, never
from its submodules. Trusted platform code (identity proving, the command line, demo data) reads and writes
registers through `RegistriesService` as a `Caller`; the errors are those its rules raise. The exchange's
data tracker asks the same read rules the registries' own paths use (`access`). The face stays
import-light (the exchange imports it and the registries import the exchange's face): each name is imported
on first use, and the imports under TYPE_CHECKING give type checkers the real names. Publishing the
registries on the exchange reaches into the members block, so those two functions import it only when called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from govhub.config import Settings
    from govhub.members import SubsystemId
    from govhub.registries.access import (
        ReadSubject,
        RecordRead,
        RegisterSummary,
        anyone_may_read,
        read_subject,
        reads_about,
        subject_id_of,
    )
    from govhub.registries.caller import Caller
    from govhub.registries.conformance import load_govstack_scenario, read_scenario_data
    from govhub.registries.definitions import CLASSIFICATIONS, RegisterDefinition
    from govhub.registries.demo import BIRTHS
    from govhub.registries.errors import CallerUnknown, NotGranted, RecordNotFound, RegisterNotFound
    from govhub.registries.service import RegistriesService

__all__ = [
    "BIRTHS",
    "CLASSIFICATIONS",
    "Caller",
    "CallerUnknown",
    "NotGranted",
    "ReadSubject",
    "RecordNotFound",
    "RecordRead",
    "RegisterDefinition",
    "RegisterNotFound",
    "RegisterSummary",
    "RegistriesService",
    "allow_exchange_reader",
    "anyone_may_read",
    "load_govstack_scenario",
    "publish_on_exchange",
    "read_scenario_data",
    "read_subject",
    "reads_about",
    "subject_id_of",
]

#: Where each name lives.
_WHERE: dict[str, str] = {
    # Trusted platform code's way in: the service, who calls it, the registers it may define.
    "BIRTHS": "govhub.registries.demo",
    "CLASSIFICATIONS": "govhub.registries.definitions",
    "Caller": "govhub.registries.caller",
    "RegisterDefinition": "govhub.registries.definitions",
    "RegistriesService": "govhub.registries.service",
    "CallerUnknown": "govhub.registries.errors",
    "NotGranted": "govhub.registries.errors",
    "RecordNotFound": "govhub.registries.errors",
    "RegisterNotFound": "govhub.registries.errors",
    # GovStack's conformance scenario data, loaded (`govhub govstack load`).
    "load_govstack_scenario": "govhub.registries.conformance",
    "read_scenario_data": "govhub.registries.conformance",
    # Who may read a register without a grant, and which reads of a person's record happened (the data
    # tracker's view of the registers): one rule each, for every path.
    "ReadSubject": "govhub.registries.access",
    "anyone_may_read": "govhub.registries.access",
    "read_subject": "govhub.registries.access",
    "reads_about": "govhub.registries.access",
    "subject_id_of": "govhub.registries.access",
    # The answers, as another block may see them (no rows of ours).
    "RecordRead": "govhub.registries.access",
    "RegisterSummary": "govhub.registries.access",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562), so importing the face imports nothing else."""
    try:
        module_name = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


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
