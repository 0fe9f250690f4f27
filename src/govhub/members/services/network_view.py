"""What the gateway asks of the network on every request, answered from memory: which subsystem a client
is, a service's endpoints and whether it can be called, and a caller's rights to it.

An app node keeps these answers per generation of the members directory: the `DirectoryStamp` that
database triggers change in the same transaction as any change to members, subsystems, services, endpoints
or access rights. Each request reads the stamp (one primary-key read) and, when it has moved, starts a new
generation, so a suspension, a disabled service or a revoked right stops traffic on every node for every
request that begins after it commits, as `membership` promises, without the six reads a request otherwise
makes.

Answers are loaded in the request's own unit of work, after its stamp was read, so what a generation
holds is never older than its stamp. A request that began under an older stamp keeps writing to that
generation, which nothing reads any more. The rule these answers feed is `rights.may_call`; the functional
tests check that answers from a generation and fresh answers agree (`test_access_rule.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import Database
from govhub.members.models import ACTIVE
from govhub.members.repository import PLATFORM, MembersRepository, directory_stamp_by_point_read
from govhub.members.services.repository import ServicesRepository
from govhub.members.services.rights import RightsView, rights_view
from govhub.members.xroad_ids import ServiceId, SubsystemId

#: A generation forgets everything past this many answers of a kind (unknown service ids cost memory).
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CallerView:
    """The subsystem an OAuth client authenticates as (None when the client is no subsystem's)."""

    subsystem_id: SubsystemId | None
    #: The subsystem's database key, for its rights.
    key: int | None
    #: The subsystem and its member are both active.
    active: bool


@dataclass(frozen=True)
class EndpointView:
    id: int
    method: str
    path: str
    operation_id: str | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class ServiceView:
    key: int
    base_url: str
    disabled: bool
    #: The provider's subsystem and member are both active.
    provider_active: bool
    endpoints: tuple[EndpointView, ...]


@dataclass
class _Generation:
    stamp: int
    callers: dict[str, CallerView] = field(default_factory=dict)
    services: dict[str, ServiceView | None] = field(default_factory=dict)
    rights: dict[tuple[int, int], RightsView] = field(default_factory=dict)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(entries: dict[_K, _V], key: _K, value: _V) -> _V:
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[key] = value
    return value


class NetworkView:
    """One per app node (`gateway.network_view_of`); `current` per request."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._generation: _Generation | None = None

    async def current(self, session: AsyncSession) -> CurrentNetwork:
        # A point read (outside the unit of work, which then reads nothing when every answer is known),
        # before anything the unit of work loads: what a generation holds is never older than its stamp.
        stamp = await directory_stamp_by_point_read(self._database.point_reads)
        if stamp is None:
            stamp = await MembersRepository(session).directory_stamp()
        generation = self._generation
        if generation is None or generation.stamp != stamp:
            generation = self._generation = _Generation(stamp)
        return CurrentNetwork(session, generation)


class CurrentNetwork:
    """The network as of one request's stamp, loading what its generation does not hold yet."""

    def __init__(self, session: AsyncSession, generation: _Generation) -> None:
        self._session = session
        self._generation = generation

    async def caller(self, client_id: str) -> CallerView:
        known = self._generation.callers.get(client_id)
        if known is not None:
            return known
        found = await MembersRepository(self._session).subsystem_by_client_id(client_id)
        if found is None:
            view = CallerView(None, None, active=False)
        else:
            subsystem, member = found
            active = subsystem.status == ACTIVE and member.status == ACTIVE
            view = CallerView(subsystem.subsystem_id(member.member_id), subsystem.id, active=active)
        return _remember(self._generation.callers, client_id, view)

    async def service(self, service_id: ServiceId) -> ServiceView | None:
        key = str(service_id)
        if key in self._generation.services:
            return self._generation.services[key]
        repository = ServicesRepository(self._session)
        row = await repository.service(PLATFORM, service_id)
        view = None
        if row is not None:
            service, subsystem, member = row
            endpoints = (await repository.endpoints_of([service.id]))[service.id]
            view = ServiceView(
                key=service.id,
                base_url=service.base_url,
                disabled=service.disabled,
                provider_active=subsystem.status == ACTIVE and member.status == ACTIVE,
                endpoints=tuple(
                    EndpointView(endpoint.id, endpoint.method, endpoint.path, endpoint.operation_id)
                    for endpoint in endpoints
                ),
            )
        return _remember(self._generation.services, key, view)

    async def rights(self, service: ServiceView, caller: CallerView) -> RightsView:
        if caller.key is None:
            return RightsView(whole_service=False, endpoint_ids=frozenset())
        key = (service.key, caller.key)
        known = self._generation.rights.get(key)
        if known is not None:
            return known
        live = await ServicesRepository(self._session).live_rights_of(service.key, caller.key)
        view = rights_view(live)
        return _remember(self._generation.rights, key, view)
