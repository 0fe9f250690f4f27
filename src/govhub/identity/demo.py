"""Demo accounts for `make run`: a citizen whose identity is matched (`P2`) and who has an authenticator
app, and one who has only a password. Demo credentials, printed on purpose: never use them elsewhere."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import totp
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.proving import demo as proving_demo

DEMO_PASSWORD = "demo password for govhub"  # noqa: S105 (published demo credentials)
#: A fixed secret, so the demo citizen's authenticator app keeps working across `make run`s.
DEMO_TOTP_SECRET = "GOVHUBDEMOCITIZENTOTPSECRETAAAAA"  # noqa: S105

DEMO_ACCOUNTS = (
    NewAccount("citizen@example.org", DEMO_PASSWORD, DEMO_TOTP_SECRET, "P2", email_verified=True),
    NewAccount("newcomer@example.org", DEMO_PASSWORD, None, "P0", email_verified=True),
)


async def load(session: AsyncSession, settings: Settings) -> str:
    service = IdentityService.for_session(session, settings)
    added = []
    for account in DEMO_ACCOUNTS:
        if await service.repository.account_by_email(account.email) is None:
            await service.create_account(account)
            added.append(account.email)
    uri = totp.provisioning_uri(DEMO_TOTP_SECRET, "citizen@example.org", "govhub demo")
    return (
        f"{len(added)} demo accounts added ({len(DEMO_ACCOUNTS) - len(added)} already there); "
        f"password {DEMO_PASSWORD!r}; citizen@example.org's TOTP secret {DEMO_TOTP_SECRET} ({uri}); "
        # The citizen's P2 proved against the births register, and a business representative.
        + await proving_demo.load(session, settings, password=DEMO_PASSWORD)
    )
