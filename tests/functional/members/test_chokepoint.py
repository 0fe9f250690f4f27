"""Every read of members goes through `readable_members(viewer)`: a member administrator reads their own
members and is told a stranger's do not exist; the platform reads them all."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.members.errors import MemberNotFound
from govhub.members.membership.service import MembershipService, member_admin_viewer
from govhub.members.repository import PLATFORM, Viewer
from tests.functional.members.support import approved_member, person
from tests.support.oidc import ClientKeys


async def test_reads_are_scoped_to_the_caller(session: AsyncSession, settings: Settings) -> None:
    director = await person(session, settings, "director@ours.example", with_app=False)
    ours = await approved_member(session, ClientKeys(), applicant_account_id=director.account.id)
    theirs = await approved_member(
        session,
        ClientKeys(),
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
    )
    service = MembershipService(session)

    viewer = await member_admin_viewer(session, director.account.id)
    assert [d.member.id for d in await service.members(viewer)] == [ours.id]
    assert (await service.member(viewer, ours.member_id)).member.id == ours.id
    with pytest.raises(MemberNotFound, match="There is no member GOVHUB-DEV/COM/07654321"):
        await service.member(viewer, theirs.member_id)
    with pytest.raises(MemberNotFound):
        await service.subsystem(viewer, theirs.member_id.subsystem("parking"))

    assert [d.member.id for d in await service.members(Viewer(platform_admin=False))] == []
    assert {d.member.id for d in await service.members(PLATFORM)} == {ours.id, theirs.id}
    # A citizen who directs nothing administers nothing.
    citizen = await person(session, settings, "citizen@example.org", with_app=False)
    assert (await member_admin_viewer(session, citizen.account.id)).organisation_ids == frozenset()
