"""FastAPI dependencies of the registries' routes: who is calling, and the service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, Field

from govhub.dependencies import DbSession
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.routing import optional_header, problem_response, reads_headers
from govhub.ledger import Ledgers, LedgerService, keyring_of
from govhub.registries.caller import Caller
from govhub.registries.callers import caller_of
from govhub.registries.open_reads import RecordPointReads
from govhub.registries.proofs import ReadOptions
from govhub.registries.repository import RegistriesRepository
from govhub.registries.service import RegistriesService
from govhub.registries.writes import RegisterWriter


@reads_headers(
    optional_header(
        "Information-Mediator-Client",
        "The calling system, INSTANCE/CLASS/MEMBER/SUBSYSTEM. Needed for anything but reading open "
        "registers, and believed only when verified: with the subsystem's own access token (Authorization: "
        "Bearer, client_credentials), through the exchange gateway (`/r1/...`, which vouches for the "
        "caller), or from a trusted mediator's network (GOVHUB_REGISTRIES_TRUSTED_MEDIATORS).",
    ),
    optional_header("X-Purpose", "Why the data is read; shown to the person it is about."),
)
async def identify_caller(request: Request) -> Caller:
    """Who is calling, from a verified source only (`registries.callers`, which reads the client header,
    its aliases and the purpose itself); whether they may is decided per register by
    `RegistriesService.open`."""
    return await caller_of(request)


ACCESS_DEPENDENCIES.add(identify_caller)

CallerDep = Annotated[Caller, Depends(identify_caller)]

#: What the catalogue and grants routes answer besides success: the caller is not verified (401), its
#: credentials do not hold or it may not do this (403), the register is none it may see (404), or the change
#: clashes with what is there (409: a database code taken, a version records were written with).
CATALOGUE_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: problem_response(
        "No verified caller: the gateway's assertion, the subsystem's token, or a trusted mediator."
    ),
    403: problem_response("The credentials do not hold, or the caller does not own the register."),
    404: problem_response("No such database, register or grant that the caller may see."),
    409: problem_response("The database code is taken, or the database has records."),
}
RegistryName = Annotated[str, Path(alias="registryName")]
VersionNumber = Annotated[str, Path(alias="versionNumber")]
RecordId = Annotated[str, Path(alias="ID", description="The record's key.")]


async def _service(session: DbSession, ledgers: Ledgers) -> RegistriesService:
    return RegistriesService(RegistriesRepository(session), ledgers)


Registries = Annotated[RegistriesService, Depends(_service)]


async def register_writes(request: Request) -> RegisterWriter:
    """The app node's writer of records (group commit, `registries.writes`), made on first use on the event
    loop that serves requests, and drained by the app's lifespan at shutdown."""
    state = request.app.state
    writer: RegisterWriter | None = getattr(state, "registries_writer", None)
    if writer is None or writer.loop is not asyncio.get_running_loop():
        keyring = await keyring_of(request, state.settings)
        writer = state.registries_writer = RegisterWriter(state.database, state.settings, keyring)
    return writer


#: The write routes' way to change records: access checked in a short unit of work, then group commit.
Writes = Annotated[RegisterWriter, Depends(register_writes)]


def point_reads_of(request: Request) -> RecordPointReads:
    """Records read by key outside any unit of work, on the app node's point reader."""
    return RecordPointReads(request.app.state.database.point_reads)


class RegistriesOnDemand:
    """Point reads of records, and the registries service in a unit of work that the route opens only if
    it needs one: `read` answers most requests with a point read, and resolving the session and services
    up front would cost it more than the read itself."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self.point_reads = point_reads_of(request)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[tuple[RegistriesService, LedgerService]]:
        state = self._request.app.state
        keyring = await keyring_of(self._request, state.settings)
        async with state.database.unit_of_work() as session:
            ledgers = LedgerService.for_session(session, state.settings, keyring)
            yield RegistriesService(RegistriesRepository(session), ledgers), ledgers


async def _on_demand(request: Request) -> RegistriesOnDemand:
    return RegistriesOnDemand(request)


OnDemandRegistries = Annotated[RegistriesOnDemand, Depends(_on_demand)]


class _ReadOptionsQuery(BaseModel):
    """`read`'s query parameters as one model: FastAPI looks each declared parameter up on every request,
    and a model's fields once each rather than twice, then validates them in one call."""

    as_of_entry: int | None = Field(
        None, alias="asOfEntry", ge=1, description="The record as it stood after this entry."
    )
    as_of_date: datetime | None = Field(
        None, alias="asOfDate", description="The record as it stood then (ISO 8601)."
    )
    proof: bool = Field(
        False, description="Add the entry's inclusion proof against the ledger's signed checkpoint."
    )


async def _read_options(query: Annotated[_ReadOptionsQuery, Query()]) -> ReadOptions:
    return ReadOptions(query.as_of_entry, query.as_of_date, query.proof)


ReadOptionsDep = Annotated[ReadOptions, Depends(_read_options)]
