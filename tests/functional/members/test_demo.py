"""The members demo: a platform administrator who can sign in with two factors, and the demo company's
application waiting for a decision; loaded once however often the demo is, and approvable as it stands."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity import demo as identity_demo
from govhub.identity.accounts.service import IdentityService
from govhub.members import demo
from govhub.members.membership.service import MembershipService, is_platform_admin, member_admin_viewer
from govhub.members.onboarding.service import ApplicationsService
from tests.functional.members.support import TEST_ADMIN
from tests.support.identity import check_password


async def test_the_demo_administrator_and_application_are_loaded_once(
    session: AsyncSession, settings: Settings
) -> None:
    await identity_demo.load(session, settings)

    first = await demo.load(session, settings)
    again = await demo.load(session, settings)

    assert "platform administrator platform-admin@example.org, password 'demo password for govhub'" in first
    assert demo.PLATFORM_ADMIN_TOTP_SECRET in first
    assert "business@example.org applied for GOVHUB-DEV/COM/SC123456" in first
    assert "already there (pending)" in again
    admin = await check_password(
        IdentityService.for_session(session, settings), demo.PLATFORM_ADMIN_EMAIL, identity_demo.DEMO_PASSWORD
    )
    assert admin is not None
    assert admin.totp_secret is not None
    assert await is_platform_admin(session, admin.id)

    [application] = await ApplicationsService(session, settings.members_instance).applications("pending")
    approved = await ApplicationsService(session, settings.members_instance).approve(
        application.public_id, TEST_ADMIN
    )
    # The applicant directs the demo company already: no confirmation asked, the member is made at once.
    assert approved.status == "approved"
    business = await IdentityService.for_session(session, settings).repository.account_by_email(
        "business@example.org"
    )
    assert business is not None
    # Already the demo company's director, so its member administrator.
    viewer = await member_admin_viewer(session, business.id)
    assert [d.member.id for d in await MembershipService(session).members(viewer)] == [approved.member_id]


async def test_without_the_identity_demo_there_is_no_applicant(
    session: AsyncSession, settings: Settings
) -> None:
    assert "no demo applicant" in await demo.load(session, settings)
