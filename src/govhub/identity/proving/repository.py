"""All SQL of identity proving: verified identities and proving attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.proving.models import ProvingAttempt, VerifiedIdentityRow
from govhub.kit.constraints import violated_constraint

#: One identity per account, one account per register record.
_ONE_IDENTITY_EACH = {
    "uq_identity_verified_identities_account_id",
    "uq_identity_verified_identities_register_record_key",
}


class ProvingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def verified_identity(self, account_id: int) -> VerifiedIdentityRow | None:
        return await self.session.scalar(
            select(VerifiedIdentityRow).where(VerifiedIdentityRow.account_id == account_id)
        )

    async def add_verified_identity(self, row: VerifiedIdentityRow) -> VerifiedIdentityRow | None:
        """The row added; None when the account already has one or the record already proves another
        account (a request racing this one got there first), and nothing was added."""
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as error:
            if violated_constraint(error) in _ONE_IDENTITY_EACH:
                return None
            raise
        return row

    async def add_attempt(self, attempt: ProvingAttempt) -> None:
        self.session.add(attempt)
        await self.session.flush()

    async def failed_attempts(self, account_id: int, since: datetime) -> tuple[int, datetime | None]:
        """How many attempts failed after `since`, and when the oldest of them was."""
        row = (
            await self.session.execute(
                select(func.count(), func.min(ProvingAttempt.attempted_at)).where(
                    ProvingAttempt.account_id == account_id,
                    ProvingAttempt.attempted_at > since,
                    ProvingAttempt.matched.is_(False),
                )
            )
        ).one()
        oldest = row[1]
        return int(row[0]), oldest
