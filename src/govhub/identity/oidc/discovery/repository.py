"""All of the provider's SQL for its signing keys. Services never write SQL, and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.models import SigningKey


class KeysRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all_keys(self) -> Sequence[SigningKey]:
        return (await self.session.scalars(select(SigningKey).order_by(SigningKey.active_from))).all()

    async def unretired(self, alg: str) -> Sequence[SigningKey]:
        return (
            await self.session.scalars(
                select(SigningKey).where(SigningKey.alg == alg, SigningKey.retired_at.is_(None))
            )
        ).all()

    async def by_kid(self, kid: str) -> SigningKey | None:
        found: SigningKey | None = await self.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
        return found

    async def add(self, key: SigningKey) -> SigningKey:
        self.session.add(key)
        await self.session.flush()
        return key
