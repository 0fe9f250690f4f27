"""Questions about members that only the tests ask (the gateway asks its network view,
`govhub.members.services.network_view`, and production code `active_subsystem_of_client`)."""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import Database
from govhub.members import AccessDecision, NetworkView, ServiceId, may_call
from govhub.members.models import ACTIVE
from govhub.members.repository import PLATFORM, MembersRepository
from govhub.members.xroad_ids import InvalidIdentifier, MemberId, SubsystemId
from tests.support.point_reads import ConnectionPointReads


async def is_member_active(session: AsyncSession, member_id: MemberId) -> bool:
    """Whether the member exists and is not suspended."""
    member = await MembersRepository(session).member(PLATFORM, member_id)
    return member is not None and member.status == ACTIVE


async def is_subsystem_active(session: AsyncSession, subsystem_id: SubsystemId) -> bool:
    """Whether the subsystem exists, is active, and its member is active: whether it may send or receive."""
    found = await MembersRepository(session).subsystem_by_client_id(subsystem_id.client_id)
    return found is not None and found[0].status == ACTIVE and found[1].status == ACTIVE


class _TestsDatabase:
    """What a `NetworkView` reads of its node's `Database`: the point reads, here on the test's own
    connection (so they see what the test wrote, as the `app` fixture's do)."""

    def __init__(self, point_reads: ConnectionPointReads) -> None:
        self.point_reads = point_reads


async def network_view(session: AsyncSession) -> NetworkView:
    """A node's view of the network with nothing cached yet, reading through the test's connection."""
    return NetworkView(cast("Database", _TestsDatabase(ConnectionPointReads(await session.connection()))))


async def decide(
    view: NetworkView, session: AsyncSession, client_id: str, service_id: ServiceId, method: str, path: str
) -> AccessDecision:
    """The access rule as the gateway asks it for a request that begins now: the stamp read, the caller
    and the service from `view` (a generation it may already hold), then `may_call`."""
    network = await view.current(session)
    return await may_call(network, await network.caller(client_id), service_id, method, path)


async def may_call_now(
    session: AsyncSession, client: SubsystemId, service_id: ServiceId, method: str, path: str
) -> bool:
    """Whether `client` may call `method path` of the service, from a fresh view (everything read again)."""
    view = await network_view(session)
    return (await decide(view, session, client.client_id, service_id, method, path)).allowed


def subsystem_of_client_id(client_id: str) -> SubsystemId | None:
    """The subsystem a client id names (`SubsystemId.client_id` read back), or None when it is not a
    subsystem's client id."""
    parts = client_id.split(".")
    if len(parts) != 4:
        return None
    try:
        return SubsystemId(MemberId(parts[0], parts[1], parts[2]), parts[3])
    except InvalidIdentifier:
        return None
