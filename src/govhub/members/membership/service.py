"""Members once they are in: reading them (scoped to the caller), suspending and reinstating them, which
subsystem a client is, and who the platform administrators are. Never commits.

Suspension takes effect at once: the member's row says so, which the gateway reads on every call (through
`services.network_view`; `active_subsystem_of_client` elsewhere), and its subsystems' OAuth clients are
disabled in the same unit of work, so they get `invalid_client` at `/token` (at once on the node that
suspended, within `oidc_cache_seconds` on the others, which keep enabled clients in memory that long).
Reinstatement enables them again. Both are appended to `members_status_changes`, with the reason and who did
it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity import (
    AccountNotFound,
    account_by_email,
    account_emails,
    normalised_email,
    organisation_ids,
    organisation_public_ids,
    organisations_of,
)
from govhub.identity.oidc import disable_client, enable_client
from govhub.kit.clock import utcnow
from govhub.members.errors import (
    MemberNotFound,
    MemberStatusUnchanged,
    PlatformAdminNotFound,
    SubsystemNotFound,
)
from govhub.members.models import (
    ACTIVE,
    SUSPENDED,
    Member,
    MemberStatusChange,
    PlatformAdmin,
    Subsystem,
)
from govhub.members.onboarding.service import MEMBER_ADMIN_ROLE, Decider, reason_or_refuse
from govhub.members.repository import PLATFORM, MembersRepository, Viewer
from govhub.members.xroad_ids import MemberId, SubsystemId

#: Platform administrators act (pages and API alike) once signed in with two factors.
PLATFORM_ADMIN_LEVEL = "Cl.Cm"


@dataclass(frozen=True)
class MemberDetails:
    member: Member
    #: The identity organisation's public id.
    organisation_id: str
    subsystems: list[Subsystem]
    #: Suspensions and reinstatements, oldest first (read for one member, not for lists).
    history: list[MemberStatusChange]


@dataclass(frozen=True)
class ActiveSubsystem:
    """What the gateway learns of an authenticated caller: which subsystem it is."""

    subsystem_id: SubsystemId
    member_name: str


@dataclass(frozen=True)
class StatusChanged:
    details: MemberDetails
    #: The OAuth clients disabled or enabled, for the caller to drop from this node's client cache.
    client_ids: list[str]


async def member_admin_viewer(session: AsyncSession, account_id: int) -> Viewer:
    """The members a person administers: those that are organisations they represent as a director."""
    representations = await organisations_of(session, account_id)
    run = [r.organisation_id for r in representations if r.role == MEMBER_ADMIN_ROLE]
    ids = await organisation_ids(session, run)
    return Viewer(platform_admin=False, organisation_ids=frozenset(ids))


class MembershipService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repository = MembersRepository(session)

    async def members(self, viewer: Viewer) -> list[MemberDetails]:
        members = await self.repository.members(viewer)
        subsystems = await self.repository.subsystems_of(m.id for m in members)
        organisations = await organisation_public_ids(self.session, (m.organisation_id for m in members))
        return [MemberDetails(m, organisations[m.organisation_id], subsystems[m.id], []) for m in members]

    async def _member(self, viewer: Viewer, member_id: MemberId, *, for_update: bool = False) -> Member:
        member = await self.repository.member(viewer, member_id, for_update=for_update)
        if member is None:
            # The same answer for a member that exists but is not the caller's: it tells them nothing.
            raise MemberNotFound(f"There is no member {member_id}.")
        return member

    async def _details(self, member: Member) -> MemberDetails:
        subsystems = await self.repository.subsystems_of([member.id])
        organisations = await organisation_public_ids(self.session, [member.organisation_id])
        return MemberDetails(
            member,
            organisations[member.organisation_id],
            subsystems[member.id],
            await self.repository.status_changes(member.id),
        )

    async def member(self, viewer: Viewer, member_id: MemberId) -> MemberDetails:
        return await self._details(await self._member(viewer, member_id))

    async def suspend(self, member_id: MemberId, by: Decider, reason: str | None) -> StatusChanged:
        return await self._change(member_id, SUSPENDED, by, reason_or_refuse(reason, "suspension"))

    async def reinstate(self, member_id: MemberId, by: Decider, reason: str | None) -> StatusChanged:
        return await self._change(member_id, ACTIVE, by, reason_or_refuse(reason, "reinstatement"))

    async def _change(self, member_id: MemberId, status: str, by: Decider, reason: str) -> StatusChanged:
        member = await self._member(PLATFORM, member_id, for_update=True)
        if member.status == status:
            since = f" since {member.suspended_at:%-d %B %Y at %H:%M UTC}" if member.suspended_at else ""
            raise MemberStatusUnchanged(f"{member_id} is already {status}{since}.")
        now = utcnow()
        member.status = status
        member.suspended_at = now if status == SUSPENDED else None
        member.suspension_reason = reason if status == SUSPENDED else None
        await self.repository.add(
            MemberStatusChange(
                member_id=member.id, status=status, reason=reason, changed_by=by.label, changed_at=now
            )
        )
        subsystems = (await self.repository.subsystems_of([member.id]))[member.id]
        changed = []
        for subsystem in subsystems:
            if status == SUSPENDED:
                await disable_client(self.session, subsystem.client_id)
            elif subsystem.status == ACTIVE:
                await enable_client(self.session, subsystem.client_id)
            changed.append(subsystem.client_id)
        await self.session.flush()
        return StatusChanged(await self._details(member), changed)

    async def subsystem(self, viewer: Viewer, subsystem_id: SubsystemId) -> tuple[MemberDetails, Subsystem]:
        details = await self.member(viewer, subsystem_id.member)
        for subsystem in details.subsystems:
            if subsystem.subsystem_code == subsystem_id.subsystem_code:
                return details, subsystem
        raise SubsystemNotFound(f"There is no subsystem {subsystem_id}.")


# --- who a client is --------------------------------------------------------------------------------------


async def member_names(session: AsyncSession, member_ids: Iterable[str]) -> dict[str, str]:
    """Names of members by `INSTANCE/CLASS/MEMBER`, whatever their status (a person is told who asked even
    when that member has since been suspended). Ids not of that shape, or unknown, are left out."""
    return await MembersRepository(session).member_names(member_ids)


async def member_exists(session: AsyncSession, member_id: MemberId) -> bool:
    """Whether the member was admitted, whatever its status."""
    return await MembersRepository(session).member(PLATFORM, member_id) is not None


async def active_subsystem_of_client(session: AsyncSession, client_id: str) -> ActiveSubsystem | None:
    """The subsystem an access token's `client_id` authenticates as, when it and its member are active;
    None for a suspended member's subsystem, or a client that is no subsystem."""
    found = await MembersRepository(session).subsystem_by_client_id(client_id)
    if found is None or found[0].status != ACTIVE or found[1].status != ACTIVE:
        return None
    subsystem, member = found
    return ActiveSubsystem(subsystem.subsystem_id(member.member_id), member.name)


# --- platform administrators ------------------------------------------------------------------------------


async def is_platform_admin(session: AsyncSession, account_id: int) -> bool:
    return await MembersRepository(session).is_platform_admin(account_id)


async def _account_id(session: AsyncSession, email: str) -> tuple[int, str]:
    address = normalised_email(email)
    account = None if "\x00" in address else await account_by_email(session, address)
    if account is None:
        raise AccountNotFound(f"There is no account for {address[:254]}: make it first.")
    return account.id, account.email


async def grant_platform_admin(session: AsyncSession, email: str, by: Decider) -> tuple[str, bool]:
    """Makes the account a platform administrator; (its email, False when it already was one)."""
    account_id, address = await _account_id(session, email)
    repository = MembersRepository(session)
    if await repository.is_platform_admin(account_id):
        return address, False
    await repository.add(PlatformAdmin(account_id=account_id, granted_by=by.label, granted_at=utcnow()))
    return address, True


async def revoke_platform_admin(session: AsyncSession, email: str) -> str:
    account_id, address = await _account_id(session, email)
    if not await MembersRepository(session).remove_platform_admin(account_id):
        raise PlatformAdminNotFound(f"{address} is not a platform administrator.")
    return address


async def platform_admins(session: AsyncSession) -> list[tuple[str, PlatformAdmin]]:
    """(email, grant) of every platform administrator, by email."""
    grants = await MembersRepository(session).platform_admins()
    emails = await account_emails(session, (grant.account_id for grant in grants))
    return sorted(((emails[grant.account_id], grant) for grant in grants), key=lambda pair: pair[0])
