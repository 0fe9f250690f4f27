"""Demo data for `make run`: a platform administrator (with an authenticator app, since the administrators'
pages ask for two factors), and an application waiting for a decision from the demo company whose director
is `business@example.org` (loaded by identity's demo). Demo credentials, printed on purpose: never use them
elsewhere."""

from __future__ import annotations

from joserfc import jwk
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity import (
    DEMO_PASSWORD,
    IdentityService,
    NewAccount,
    account_by_email,
    totp_provisioning_uri,
)
from govhub.members.membership.service import grant_platform_admin
from govhub.members.onboarding.service import ApplicationsService, Decider, NewApplication

PLATFORM_ADMIN_EMAIL = "platform-admin@example.org"
#: A fixed secret, so the administrator's authenticator app keeps working across `make run`s.
PLATFORM_ADMIN_TOTP_SECRET = "GOVHUBDEMOPLATFORMADMINTOTPAAAAA"  # noqa: S105 (published demo credentials)
APPLICANT_EMAIL = "business@example.org"


async def load(session: AsyncSession, settings: Settings) -> str:
    accounts = IdentityService.for_session(session, settings)
    if await account_by_email(session, PLATFORM_ADMIN_EMAIL) is None:
        await accounts.create_account(
            NewAccount(
                PLATFORM_ADMIN_EMAIL, DEMO_PASSWORD, PLATFORM_ADMIN_TOTP_SECRET, "P0", email_verified=True
            )
        )
    await grant_platform_admin(session, PLATFORM_ADMIN_EMAIL, Decider("demo data"))
    uri = totp_provisioning_uri(PLATFORM_ADMIN_TOTP_SECRET, PLATFORM_ADMIN_EMAIL, "govhub demo")
    return (
        f"platform administrator {PLATFORM_ADMIN_EMAIL}, password {DEMO_PASSWORD!r}, TOTP secret "
        f"{PLATFORM_ADMIN_TOTP_SECRET} ({uri}); " + await _pending_application(session, settings)
    )


async def _pending_application(session: AsyncSession, settings: Settings) -> str:
    applicant = await account_by_email(session, APPLICANT_EMAIL)
    if applicant is None:
        return "no demo applicant (load identity's demo first)"
    service = ApplicationsService(session, settings.members_instance)
    existing = await service.applications_of(applicant.id)
    if existing:
        return f"{APPLICANT_EMAIL}'s application {existing[0].public_id} already there ({existing[0].status})"
    # A throwaway key: the demo shows onboarding; a subsystem that really calls keeps its own private key.
    key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    application = await service.submit(
        NewApplication(
            organisation_name="Ambridge Organics Ltd",
            registration_number="SC123456",
            member_class="COM",
            contact_name="Ambridge Organics director",
            contact_email=APPLICANT_EMAIL,
            subsystem_code="orders",
            jwks={"keys": [{**key.as_dict(private=False), "use": "sig"}]},
            applicant_account_id=applicant.id,
        )
    )
    return (
        f"{APPLICANT_EMAIL} applied for {application.proposed_member_id} (application "
        f"{application.public_id}): decide it at /members/admin/applications"
    )
