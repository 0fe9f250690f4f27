"""All SQL of security keys (WebAuthn credentials) and of the challenges their ceremonies sign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.security_keys.models import SecurityKey, WebAuthnChallenge
from govhub.kit.constraints import violated_constraint


class SecurityKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- keys -------------------------------------------------------------------------------------------

    async def keys_of(self, account_id: int) -> list[SecurityKey]:
        """The account's keys, oldest first."""
        return list(
            await self.session.scalars(
                select(SecurityKey)
                .where(SecurityKey.account_id == account_id)
                .order_by(SecurityKey.created_at, SecurityKey.id)
            )
        )

    async def has_keys(self, account_id: int) -> bool:
        count = await self.session.scalar(
            select(func.count()).select_from(SecurityKey).where(SecurityKey.account_id == account_id)
        )
        return bool(count)

    async def key_by_credential_id(self, credential_id: str) -> SecurityKey | None:
        return await self.session.scalar(
            select(SecurityKey).where(SecurityKey.credential_id == credential_id)
        )

    async def add_key(self, key: SecurityKey) -> SecurityKey | None:
        """The key added; None when its credential id is registered already (to this account or another),
        and nothing was added. The unique constraint decides, so two requests racing cannot both add it."""
        try:
            async with self.session.begin_nested():
                self.session.add(key)
                await self.session.flush()
        except IntegrityError as error:
            if violated_constraint(error) == "uq_identity_security_keys_credential_id":
                return None
            raise
        return key

    async def remove_key(self, account_id: int, key_id: int) -> bool:
        """Removes the key if it is the account's; False when it is not (someone else's, or gone)."""
        result = await self.session.execute(
            delete(SecurityKey)
            .where(SecurityKey.id == key_id, SecurityKey.account_id == account_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def claim_sign_count(self, key_id: int, seen: int, new: int, now: datetime) -> bool:
        """Records a use of the key with counter `new`, only if its counter is still `seen`: of two requests
        racing with the same key, the database lets one through."""
        result = await self.session.execute(
            update(SecurityKey)
            .where(SecurityKey.id == key_id, SecurityKey.sign_count == seen)
            .values(sign_count=new, last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    # --- challenges -------------------------------------------------------------------------------------

    async def replace_challenge(
        self, session_id: int, purpose: str, challenge_hash: str, expires_at: datetime
    ) -> None:
        """The session's one challenge for this ceremony, replacing any it had. One upsert, so two pages of
        one session shown at once cannot both insert (the later one's challenge wins)."""
        insert = postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(WebAuthnChallenge).values(
            session_id=session_id, purpose=purpose, challenge_hash=challenge_hash, expires_at=expires_at
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["session_id", "purpose"],
                set_={
                    "challenge_hash": statement.excluded.challenge_hash,
                    "expires_at": statement.excluded.expires_at,
                },
            )
        )

    async def use_challenge(self, session_id: int, purpose: str, challenge_hash: str, now: datetime) -> bool:
        """Deletes the session's challenge for this ceremony if it is `challenge_hash` and has not expired;
        whether it was. Deleting is what makes a challenge single-use, even for two requests at once."""
        result = await self.session.execute(
            delete(WebAuthnChallenge)
            .where(
                WebAuthnChallenge.session_id == session_id,
                WebAuthnChallenge.purpose == purpose,
                WebAuthnChallenge.challenge_hash == challenge_hash,
                WebAuthnChallenge.expires_at > now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
