"""All SQL of the members block. Members are read through one chokepoint, `readable_members`, which scopes
every read to what the caller (`Viewer`) may see: platform administrators see every member, member
administrators only the members that are organisations they run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import PointReader
from govhub.members.models import (
    CONFIRMING,
    PENDING,
    Application,
    DirectoryStamp,
    InstanceMemberClass,
    Member,
    MemberStatusChange,
    PlatformAdmin,
    Subsystem,
)
from govhub.members.xroad_ids import MemberId

T = TypeVar("T")


@dataclass(frozen=True)
class Viewer:
    """Who is reading members: a platform administrator (a person, an admin API client, the command line),
    or a member administrator, who sees the members that are the organisations in `organisation_ids`."""

    platform_admin: bool
    organisation_ids: frozenset[int] = field(default_factory=frozenset)


#: The platform's operators: the admin API, the command line, a platform administrator's pages.
PLATFORM = Viewer(platform_admin=True)


def readable_members(viewer: Viewer) -> Select[Member]:
    """The one statement every read of members starts from."""
    statement = select(Member)
    if not viewer.platform_admin:
        statement = statement.where(Member.organisation_id.in_(sorted(viewer.organisation_ids)))
    return statement


class MembersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: T) -> T:
        self.session.add(row)
        await self.session.flush()
        return row

    # --- applications ---------------------------------------------------------------------------------

    async def application(self, public_id: str, *, for_update: bool = False) -> Application | None:
        statement = select(Application).where(Application.public_id == public_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def applications(self, status: str | None, limit: int) -> list[Application]:
        statement = select(Application).order_by(Application.submitted_at.desc(), Application.id.desc())
        if status is not None:
            statement = statement.where(Application.status == status)
        return list(await self.session.scalars(statement.limit(limit)))

    async def applications_of_account(self, account_id: int) -> list[Application]:
        return list(
            await self.session.scalars(
                select(Application)
                .where(Application.applicant_account_id == account_id)
                .order_by(Application.submitted_at.desc(), Application.id.desc())
            )
        )

    async def awaiting_confirmation(
        self, organisation_ids: Iterable[int], *, public_id: str | None = None, for_update: bool = False
    ) -> list[Application]:
        """Applications waiting for a director of one of these organisations to confirm the applicant
        (`CONFIRMING`), oldest first; only the one with `public_id` when given. The one statement every
        read of them by a director starts from: scoped to the organisations they direct."""
        ids = sorted(set(organisation_ids))
        if not ids:
            return []
        statement = (
            select(Application)
            .where(Application.status == CONFIRMING, Application.organisation_id.in_(ids))
            .order_by(Application.decided_at, Application.id)
        )
        if public_id is not None:
            statement = statement.where(Application.public_id == public_id)
        if for_update:
            statement = statement.with_for_update()
        return list(await self.session.scalars(statement))

    async def pending_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Application).where(Application.status == PENDING)
        )
        return int(count or 0)

    async def pending_count_of_account(self, account_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.applicant_account_id == account_id, Application.status == PENDING)
        )
        return int(count or 0)

    # --- members and subsystems -------------------------------------------------------------------------

    async def member(self, viewer: Viewer, member_id: MemberId, *, for_update: bool = False) -> Member | None:
        statement = readable_members(viewer).where(
            Member.instance == member_id.instance,
            Member.member_class == member_id.member_class,
            Member.member_code == member_id.member_code,
        )
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def member_names(self, member_ids: Iterable[str]) -> dict[str, str]:
        """Names of members by `INSTANCE/CLASS/MEMBER`, whatever their status. Ids not of that shape, or
        unknown, are left out."""
        wanted = {tuple(text.split("/")) for text in member_ids if text.count("/") == 2}
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Member.instance, Member.member_class, Member.member_code, Member.name).where(
                or_(
                    *(
                        and_(Member.instance == i, Member.member_class == c, Member.member_code == m)
                        for i, c, m in wanted
                    )
                )
            )
        )
        return {f"{i}/{c}/{m}": name for i, c, m, name in rows}

    async def members(self, viewer: Viewer) -> list[Member]:
        statement = readable_members(viewer).order_by(
            Member.instance, Member.member_class, Member.member_code
        )
        return list(await self.session.scalars(statement))

    async def member_of_organisation(self, organisation_id: int) -> Member | None:
        return await self.session.scalar(
            readable_members(PLATFORM).where(Member.organisation_id == organisation_id)
        )

    async def subsystems_of(self, member_ids: Iterable[int]) -> dict[int, list[Subsystem]]:
        ids = sorted(set(member_ids))
        found: dict[int, list[Subsystem]] = {member_id: [] for member_id in ids}
        if not ids:
            return found
        rows = await self.session.scalars(
            select(Subsystem).where(Subsystem.member_id.in_(ids)).order_by(Subsystem.subsystem_code)
        )
        for subsystem in rows:
            found[subsystem.member_id].append(subsystem)
        return found

    async def directory_stamp(self) -> int:
        """The members directory's current stamp (`DirectoryStamp`): one primary-key read."""
        return int(await self.session.scalar(select(DirectoryStamp.stamp).where(DirectoryStamp.id == 1)) or 0)

    async def subsystem_by_client_id(self, client_id: str) -> tuple[Subsystem, Member] | None:
        row = (
            await self.session.execute(
                select(Subsystem, Member)
                .join(Member, Member.id == Subsystem.member_id)
                .where(Subsystem.client_id == client_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def add_instance_class(self, row: InstanceMemberClass) -> bool:
        """True if added; False when the instance has the class already (a concurrent add got there
        first), and nothing was added."""
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            # The table's one constraint is its primary key (instance, class).
            return False
        return True

    async def instance_classes(self, instance: str | None = None) -> list[InstanceMemberClass]:
        """The registered classes of `instance` (of every other instance when None), in order."""
        statement = select(InstanceMemberClass)
        if instance is not None:
            statement = statement.where(InstanceMemberClass.instance == instance)
        order = (InstanceMemberClass.instance, InstanceMemberClass.member_class)
        return list(await self.session.scalars(statement.order_by(*order)))

    async def status_changes(self, member_id: int) -> list[MemberStatusChange]:
        return list(
            await self.session.scalars(
                select(MemberStatusChange)
                .where(MemberStatusChange.member_id == member_id)
                .order_by(MemberStatusChange.changed_at, MemberStatusChange.id)
            )
        )

    # --- platform administrators ------------------------------------------------------------------------

    async def is_platform_admin(self, account_id: int) -> bool:
        found = await self.session.scalar(
            select(PlatformAdmin.account_id).where(PlatformAdmin.account_id == account_id)
        )
        return found is not None

    async def platform_admins(self) -> list[PlatformAdmin]:
        """Every platform administrator's grant (identity knows their addresses)."""
        return list(await self.session.scalars(select(PlatformAdmin)))

    async def remove_platform_admin(self, account_id: int) -> bool:
        result = await self.session.execute(
            delete(PlatformAdmin)
            .where(PlatformAdmin.account_id == account_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


_DIRECTORY_STAMP = "SELECT stamp FROM members_directory_stamp WHERE id = 1"


async def directory_stamp_by_point_read(point_reads: PointReader) -> int | None:
    """The members directory's stamp read outside any unit of work (`govhub.db.point_reads`); None when the
    point read cannot answer now."""
    row = await point_reads.one(_DIRECTORY_STAMP, {})
    return None if row is None else int(row[0])
