"""FastAPI dependencies of the registries' routes: who is calling, and the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query

from govhub.dependencies import DbSession
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.ledger.routes import Ledgers
from govhub.registries.repository import RegistriesRepository
from govhub.registries.service import Caller, RegistriesService


def identify_caller(
    client: Annotated[
        str | None,
        Header(
            alias="Information-Mediator-Client",
            description="The calling system, INSTANCE/CLASS/MEMBER/SUBSYSTEM. Needed for anything but "
            "reading open registers.",
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        Header(alias="X-Purpose", description="Why the data is read; shown to the person it is about."),
    ] = None,
) -> Caller:
    """Who is calling; whether they may is decided per register by `RegistriesService.open`."""
    return Caller.from_header(client, purpose)


ACCESS_DEPENDENCIES.add(identify_caller)

CallerDep = Annotated[Caller, Depends(identify_caller)]
RegistryName = Annotated[str, Path(alias="registryName")]
VersionNumber = Annotated[str, Path(alias="versionNumber")]
RecordId = Annotated[str, Path(alias="ID", description="The record's key.")]


def _service(session: DbSession, ledgers: Ledgers) -> RegistriesService:
    return RegistriesService(RegistriesRepository(session), ledgers)


Registries = Annotated[RegistriesService, Depends(_service)]


@dataclass
class ReadOptions:
    """govhub's extensions to GovStack's `read`, as query parameters."""

    as_of_entry: Annotated[
        int | None,
        Query(alias="asOfEntry", ge=1, description="The record as it stood after this entry."),
    ] = None
    as_of_date: Annotated[
        datetime | None,
        Query(alias="asOfDate", description="The record as it stood then (ISO 8601)."),
    ] = None
    proof: Annotated[
        bool, Query(description="Add the entry's inclusion proof against the ledger's signed checkpoint.")
    ] = False
