"""Members' test data: applications, approved members (each with one subsystem) and platform
administrators, made through the members' services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.members.membership.service import grant_platform_admin
from govhub.members.models import Application, Member
from govhub.members.onboarding.service import ApplicationsService, Decider, NewApplication
from govhub.members.repository import PLATFORM, MembersRepository
from tests.support.oidc import ClientKeys

INSTANCE = "GOVHUB-DEV"
TEST_ADMIN = Decider("tests")


def new_application(keys: ClientKeys | None = None, **overrides: Any) -> NewApplication:
    """Borsetshire County Council asking to join with subsystem `parking` (keys: the subsystem's)."""
    values: dict[str, Any] = {
        "organisation_name": "Borsetshire County Council",
        "registration_number": "E10000099",
        "member_class": "GOV",
        "contact_name": "Alex Clerk",
        "contact_email": "alex.clerk@borsetshire.example",
        "subsystem_code": "parking",
        "jwks": (keys or ClientKeys()).jwks,
        **overrides,
    }
    return NewApplication(**values)


async def create_application(
    session: AsyncSession, keys: ClientKeys | None = None, *, instance: str = INSTANCE, **overrides: Any
) -> Application:
    """A pending application (fields of `NewApplication` as keyword overrides)."""
    return await ApplicationsService(session, instance).submit(new_application(keys, **overrides))


async def create_member(
    session: AsyncSession,
    keys: ClientKeys | None = None,
    *,
    instance: str = INSTANCE,
    by: Decider = TEST_ADMIN,
    **overrides: Any,
) -> Member:
    """An approved member with its subsystem: an application submitted then approved."""
    application = await create_application(session, keys, instance=instance, **overrides)
    approved = await ApplicationsService(session, instance).approve(application.public_id, by)
    member = await MembersRepository(session).member(PLATFORM, approved.proposed_member_id)
    assert member is not None, f"the application is {approved.status}, no member was made"
    return member


async def create_platform_admin(session: AsyncSession, email: str, *, by: Decider = TEST_ADMIN) -> None:
    """Makes the account with `email` (made already) a platform administrator."""
    await grant_platform_admin(session, email, by)


async def create_subsystem(
    session: AsyncSession,
    keys: ClientKeys | None = None,
    *,
    subsystem_code: str = "parking",
    instance: str = INSTANCE,
    **overrides: Any,
) -> str:
    """The X-Road id (`INSTANCE/CLASS/CODE/SUBSYSTEM`) of a new member's subsystem, its keys `keys`."""
    member = await create_member(session, keys, instance=instance, subsystem_code=subsystem_code, **overrides)
    return f"{instance}/{member.member_class}/{member.member_code}/{subsystem_code}"
