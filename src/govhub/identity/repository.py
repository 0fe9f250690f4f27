"""All SQL of the identity block."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.models import Account


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account_by_email(self, email: str) -> Account | None:
        return await self.session.scalar(select(Account).where(Account.email == email))

    async def accounts(self) -> list[Account]:
        return list(await self.session.scalars(select(Account).order_by(Account.email)))

    async def add_account(self, account: Account) -> Account:
        self.session.add(account)
        await self.session.flush()
        return account
