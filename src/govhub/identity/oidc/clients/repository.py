"""All of the provider's SQL for its relying parties. Services never write SQL, and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.models import RelyingParty


class ClientsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_client_id(self, client_id: str) -> RelyingParty | None:
        found: RelyingParty | None = await self.session.scalar(
            select(RelyingParty).where(RelyingParty.client_id == client_id)
        )
        return found

    async def all_clients(self) -> Sequence[RelyingParty]:
        return (await self.session.scalars(select(RelyingParty).order_by(RelyingParty.id))).all()

    async def add(self, client: RelyingParty) -> RelyingParty:
        self.session.add(client)
        await self.session.flush()
        return client
