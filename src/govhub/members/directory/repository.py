"""All SQL of the public directory (the X-Road metaservices and the service catalogue).

The directory is public: it reads every member, but only what may be listed. `listed_subsystems` and
`listed_services` are the one chokepoint: a suspended member, a disabled subsystem and a disabled service
never appear, whichever metaservice or catalogue view asks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.members.models import ACTIVE, APPROVED, Application, Member, Subsystem
from govhub.members.services.models import AccessRight, Service, ServiceEndpoint
from govhub.members.xroad_ids import SubsystemId


def listed_members() -> Select[Member]:
    return select(Member).where(Member.status == ACTIVE)


def listed_subsystems() -> Select[Subsystem, Member]:
    """Active subsystems of active members: the only ones the directory shows."""
    return (
        select(Subsystem, Member)
        .join(Member, Member.id == Subsystem.member_id)
        .where(Member.status == ACTIVE, Subsystem.status == ACTIVE)
    )


def listed_services() -> Select[Service, Subsystem, Member]:
    """Enabled services of listed subsystems, with their subsystem and member."""
    return (
        select(Service, Subsystem, Member)
        .join(Subsystem, Subsystem.id == Service.subsystem_id)
        .join(Member, Member.id == Subsystem.member_id)
        .where(Member.status == ACTIVE, Subsystem.status == ACTIVE, Service.disabled.is_(False))
    )


def _is_subsystem(subsystem_id: SubsystemId) -> list[Any]:
    member = subsystem_id.member
    return [
        Member.instance == member.instance,
        Member.member_class == member.member_class,
        Member.member_code == member.member_code,
        Subsystem.subsystem_code == subsystem_id.subsystem_code,
    ]


_ORDER = (Member.instance, Member.member_class, Member.member_code, Subsystem.subsystem_code)


class DirectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def members(self, instance: str | None) -> list[Member]:
        statement = listed_members()
        if instance is not None:
            statement = statement.where(Member.instance == instance)
        statement = statement.order_by(Member.instance, Member.member_class, Member.member_code)
        return list(await self.session.scalars(statement))

    async def subsystems(self, instance: str | None) -> list[tuple[Subsystem, Member]]:
        statement = listed_subsystems()
        if instance is not None:
            statement = statement.where(Member.instance == instance)
        return [(row[0], row[1]) for row in await self.session.execute(statement.order_by(*_ORDER))]

    async def subsystem(self, subsystem_id: SubsystemId) -> tuple[Subsystem, Member] | None:
        row = (await self.session.execute(listed_subsystems().where(*_is_subsystem(subsystem_id)))).first()
        return None if row is None else (row[0], row[1])

    async def services(
        self, subsystem_id: SubsystemId | None = None, service_code: str | None = None
    ) -> list[tuple[Service, Subsystem, Member]]:
        statement = listed_services()
        if subsystem_id is not None:
            statement = statement.where(*_is_subsystem(subsystem_id))
        if service_code is not None:
            statement = statement.where(Service.service_code == service_code)
        statement = statement.order_by(*_ORDER, Service.service_code)
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

    async def live_rights(self, client_subsystem_id: int, service_ids: Iterable[int]) -> list[AccessRight]:
        """The client's live rights to these services: to a whole service (`endpoint_id` and
        `endpoint_label` NULL) or to one endpoint. A right whose endpoint went keeps its label but no
        endpoint, and grants nothing."""
        ids = sorted(set(service_ids))
        if not ids:
            return []
        return list(
            await self.session.scalars(
                select(AccessRight).where(
                    AccessRight.client_subsystem_id == client_subsystem_id,
                    AccessRight.service_id.in_(ids),
                    AccessRight.revoked_at.is_(None),
                )
            )
        )

    async def contacts(self, member_ids: Iterable[int]) -> dict[int, str]:
        """Each member's contact email, from the application that made it."""
        ids = sorted(set(member_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Application.member_id, Application.contact_email)
            .where(Application.member_id.in_(ids), Application.status == APPROVED)
            .order_by(Application.decided_at)
        )
        return {int(member_id): email for member_id, email in rows if member_id is not None}
