"""All SQL of members' services and access rights. Services are read through one chokepoint,
`readable_services`, built on the members' own (`readable_members`): a caller sees the services of the
members it may read, and nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.members.models import Member, Subsystem
from govhub.members.repository import Viewer, readable_members
from govhub.members.services.models import AccessRight, Service, ServiceEndpoint
from govhub.members.xroad_ids import ServiceId, SubsystemId


def readable_services(viewer: Viewer) -> Select[Service, Subsystem, Member]:
    """The one statement every read of services starts from: each with its subsystem and member."""
    readable = readable_members(viewer).with_only_columns(Member.id)
    return (
        select(Service, Subsystem, Member)
        .join(Subsystem, Subsystem.id == Service.subsystem_id)
        .join(Member, Member.id == Subsystem.member_id)
        .where(Member.id.in_(readable))
    )


def _is_subsystem(subsystem_id: SubsystemId) -> list[Any]:
    member = subsystem_id.member
    return [
        Member.instance == member.instance,
        Member.member_class == member.member_class,
        Member.member_code == member.member_code,
        Subsystem.subsystem_code == subsystem_id.subsystem_code,
    ]


class ServicesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def flush(self) -> None:
        await self.session.flush()

    def add(self, row: object) -> None:
        self.session.add(row)

    async def subsystem(self, viewer: Viewer, subsystem_id: SubsystemId) -> tuple[Subsystem, Member] | None:
        statement = (
            select(Subsystem, Member)
            .join(Member, Member.id == Subsystem.member_id)
            .where(
                Member.id.in_(readable_members(viewer).with_only_columns(Member.id)),
                *_is_subsystem(subsystem_id),
            )
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def service(
        self, viewer: Viewer, service_id: ServiceId, *, for_update: bool = False
    ) -> tuple[Service, Subsystem, Member] | None:
        statement = readable_services(viewer).where(
            *_is_subsystem(service_id.subsystem), Service.service_code == service_id.service_code
        )
        if for_update:
            statement = statement.with_for_update(of=Service)
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def services(
        self, viewer: Viewer, subsystem_id: SubsystemId | None = None
    ) -> list[tuple[Service, Subsystem, Member]]:
        statement = readable_services(viewer)
        if subsystem_id is not None:
            statement = statement.where(*_is_subsystem(subsystem_id))
        statement = statement.order_by(
            Member.instance,
            Member.member_class,
            Member.member_code,
            Subsystem.subsystem_code,
            Service.service_code,
        )
        return [(row[0], row[1], row[2]) for row in await self.session.execute(statement)]

    async def endpoints_of(self, service_ids: Iterable[int]) -> dict[int, list[ServiceEndpoint]]:
        ids = sorted(set(service_ids))
        found: dict[int, list[ServiceEndpoint]] = {service_id: [] for service_id in ids}
        if ids:
            rows = await self.session.scalars(
                select(ServiceEndpoint)
                .where(ServiceEndpoint.service_id.in_(ids))
                .order_by(ServiceEndpoint.path, ServiceEndpoint.method)
            )
            for endpoint in rows:
                found[endpoint.service_id].append(endpoint)
        return found

    async def rights_of(
        self, service_id: int, *, include_revoked: bool = False
    ) -> list[tuple[AccessRight, Subsystem, Member]]:
        statement = (
            select(AccessRight, Subsystem, Member)
            .join(Subsystem, Subsystem.id == AccessRight.client_subsystem_id)
            .join(Member, Member.id == Subsystem.member_id)
            .where(AccessRight.service_id == service_id)
            .order_by(AccessRight.granted_at, AccessRight.id)
        )
        if not include_revoked:
            statement = statement.where(AccessRight.revoked_at.is_(None))
        return [(row[0], row[1], row[2]) for row in await self.session.execute(statement)]

    async def rights_to_endpoints(self, endpoint_ids: Iterable[int]) -> list[AccessRight]:
        """Every right (live or revoked) naming one of these endpoints."""
        ids = sorted(set(endpoint_ids))
        if not ids:
            return []
        return list(await self.session.scalars(select(AccessRight).where(AccessRight.endpoint_id.in_(ids))))

    async def delete_endpoints(self, endpoints: Iterable[ServiceEndpoint]) -> None:
        for endpoint in endpoints:
            await self.session.delete(endpoint)

    async def live_rights_of(
        self, service_id: int, client_subsystem_id: int
    ) -> list[tuple[int | None, str | None]]:
        """The client's live rights to the service, as (endpoint id, endpoint label): (None, None) is a right
        to the whole service; a right whose endpoint went has no id and keeps its label."""
        rows = await self.session.execute(
            select(AccessRight.endpoint_id, AccessRight.endpoint_label).where(
                AccessRight.service_id == service_id,
                AccessRight.client_subsystem_id == client_subsystem_id,
                AccessRight.revoked_at.is_(None),
            )
        )
        return [(row[0], row[1]) for row in rows]
