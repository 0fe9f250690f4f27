"""All SQL of organisations and their representatives."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import Account
from govhub.identity.organisations.models import Organisation, Representative


class OrganisationsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_organisation(self, organisation: Organisation) -> Organisation:
        self.session.add(organisation)
        await self.session.flush()
        return organisation

    async def organisations(self) -> list[Organisation]:
        return list(
            await self.session.scalars(select(Organisation).order_by(Organisation.name, Organisation.id))
        )

    async def organisation_by_id(self, organisation_id: int) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def public_ids_of(self, organisation_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(organisation_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Organisation.id, Organisation.public_id).where(Organisation.id.in_(ids))
        )
        return {row[0]: row[1] for row in rows}

    async def ids_of(self, public_ids: Iterable[str]) -> list[int]:
        ids = sorted(set(public_ids))
        if not ids:
            return []
        return list(
            await self.session.scalars(select(Organisation.id).where(Organisation.public_id.in_(ids)))
        )

    async def organisation_by_public_id(self, public_id: str) -> Organisation | None:
        return await self.session.scalar(select(Organisation).where(Organisation.public_id == public_id))

    async def organisations_by_number(self, registration_number: str) -> list[Organisation]:
        return list(
            await self.session.scalars(
                select(Organisation)
                .where(Organisation.registration_number == registration_number)
                .order_by(Organisation.kind)
            )
        )

    async def organisation_by_number(self, kind: str, registration_number: str) -> Organisation | None:
        return await self.session.scalar(
            select(Organisation).where(
                Organisation.kind == kind, Organisation.registration_number == registration_number
            )
        )

    async def representative(self, account_id: int, organisation_id: int) -> Representative | None:
        return await self.session.scalar(
            select(Representative).where(
                Representative.account_id == account_id, Representative.organisation_id == organisation_id
            )
        )

    async def add_representative(self, representative: Representative) -> Representative:
        self.session.add(representative)
        await self.session.flush()
        return representative

    async def remove_representative(self, account_id: int, organisation_id: int) -> bool:
        result = await self.session.execute(
            delete(Representative)
            .where(Representative.account_id == account_id, Representative.organisation_id == organisation_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def representations(self, account_id: int) -> list[tuple[Organisation, Representative]]:
        """The organisations an account acts for, with its role in each, by organisation name."""
        rows = await self.session.execute(
            select(Organisation, Representative)
            .join(Representative, Representative.organisation_id == Organisation.id)
            .where(Representative.account_id == account_id)
            .order_by(Organisation.name, Organisation.id)
        )
        return [(row[0], row[1]) for row in rows]

    async def representatives(self, organisation_ids: list[int]) -> list[tuple[int, str, str]]:
        """(organisation id, email, role) of every representative of these organisations, by email."""
        if not organisation_ids:
            return []
        rows = await self.session.execute(
            select(Representative.organisation_id, Account.email, Representative.role)
            .join(Account, Account.id == Representative.account_id)
            .where(Representative.organisation_id.in_(organisation_ids))
            .order_by(Account.email)
        )
        return [(row[0], row[1], row[2]) for row in rows]
