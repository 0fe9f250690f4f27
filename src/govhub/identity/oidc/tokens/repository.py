"""All of the provider's SQL for tokens, codes and one-time ids. Services never write SQL, and never
commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import PointReader
from govhub.identity.accounts.models import Account
from govhub.identity.oidc.models import (
    AuthorizationCode,
    RefreshToken,
    RevokedAccessToken,
    UsedJwtId,
)

#: Rows per multi-row INSERT (two bound values each: far below either database's limit on parameters).
_ROWS_PER_INSERT = 500


class TokensRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- one-time identifiers ---------------------------------------------------------------------

    async def record_jti(self, kind: str, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Remember a `jti` until it expires. False when it was seen before: a replay. One statement,
        no savepoint: a unique constraint decides, across every app node."""
        values = {"kind": kind, "issuer": issuer, "jti": jti, "expires_at": expires_at}
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(UsedJwtId).values(**values).on_conflict_do_nothing().returning(UsedJwtId.id)
        # RETURNING, not rowcount: psycopg reports -1 rows for ORM inserts.
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def record_jtis(
        self, entries: Sequence[tuple[str, str, str, datetime]]
    ) -> set[tuple[str, str, str]]:
        """Remember many `(kind, issuer, jti, expires_at)` in one statement; the `(kind, issuer, jti)`
        that were new. Entries must be distinct."""
        if not entries:
            return set()
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(UsedJwtId)
            .values([{"kind": k, "issuer": i, "jti": j, "expires_at": e} for k, i, j, e in entries])
            .on_conflict_do_nothing()
            .returning(UsedJwtId.kind, UsedJwtId.issuer, UsedJwtId.jti)
        )
        return {(row.kind, row.issuer, row.jti) for row in await self.session.execute(statement)}

    async def forget_expired_jtis(self, now: datetime) -> None:
        await self.session.execute(delete(UsedJwtId).where(UsedJwtId.expires_at < now))
        await self.session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now))

    # --- authorization codes ----------------------------------------------------------------------

    async def code_by_hash(self, code_hash: str) -> AuthorizationCode | None:
        found: AuthorizationCode | None = await self.session.scalar(
            select(AuthorizationCode).where(AuthorizationCode.code_hash == code_hash)
        )
        return found

    async def mark_code_used(self, code_id: int, now: datetime) -> bool:
        """Claim the code; False when another request claimed it first (single use across nodes)."""
        result = await self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == code_id, AuthorizationCode.used_at.is_(None))
            .values(used_at=now)
            .returning(AuthorizationCode.id)
        )
        return result.scalar_one_or_none() is not None

    # --- refresh tokens ---------------------------------------------------------------------------

    async def refresh_by_hash(self, token_hash: str) -> RefreshToken | None:
        found: RefreshToken | None = await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )
        return found

    async def add_refresh(self, token: RefreshToken) -> RefreshToken:
        self.session.add(token)
        await self.session.flush()
        return token

    async def mark_refresh_used(self, token_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .returning(RefreshToken.id)
        )
        return result.scalar_one_or_none() is not None

    async def family(self, family_id: str) -> Sequence[RefreshToken]:
        return (
            await self.session.scalars(select(RefreshToken).where(RefreshToken.family_id == family_id))
        ).all()

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_refresh_tokens_of(
        self, account_id: int, client_id: str | None, now: datetime
    ) -> list[tuple[str, datetime]]:
        """Revoke every refresh token of the person (of one service, or all), in one statement: what is
        revoked here is revoked for every node at once, since each refresh reads the row. The
        `(token_hash, created_at)` of the rows this statement revoked."""
        conditions = [RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None)]
        if client_id is not None:
            conditions.append(RefreshToken.client_id == client_id)
        result = await self.session.execute(
            update(RefreshToken)
            .where(*conditions)
            .values(revoked_at=now)
            .returning(RefreshToken.token_hash, RefreshToken.created_at)
            .execution_options(synchronize_session=False)
        )
        return [(row[0], row[1]) for row in result.all()]

    async def codes_used_since(self, account_id: int, client_id: str | None, since: datetime) -> list[str]:
        """Hashes of the person's codes redeemed since `since` (their access tokens may still be live)."""
        conditions = [AuthorizationCode.account_id == account_id, AuthorizationCode.used_at >= since]
        if client_id is not None:
            conditions.append(AuthorizationCode.client_id == client_id)
        rows = await self.session.scalars(select(AuthorizationCode.code_hash).where(*conditions))
        return list(rows.all())

    # --- access tokens ----------------------------------------------------------------------------

    async def revoke_access_token(self, jti: str, expires_at: datetime) -> None:
        await self.revoke_access_tokens([jti], expires_at)

    async def revoke_access_tokens(self, jtis: Sequence[str], expires_at: datetime) -> None:
        """List access tokens as revoked until `expires_at` (after which they have expired anyway), in
        one statement; a `jti` listed already stays as it was."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        distinct = list(dict.fromkeys(jtis))
        for start in range(0, len(distinct), _ROWS_PER_INSERT):
            batch = distinct[start : start + _ROWS_PER_INSERT]
            rows = [{"jti": jti, "expires_at": expires_at} for jti in batch]
            await self.session.execute(insert(RevokedAccessToken).values(rows).on_conflict_do_nothing())

    async def access_token_revoked(self, jti: str) -> bool:
        found = await self.session.scalar(select(RevokedAccessToken.id).where(RevokedAccessToken.jti == jti))
        return found is not None

    # --- accounts (read only: the account pages own them) -----------------------------------------

    async def account(self, account_id: int) -> Account | None:
        return await self.session.get(Account, account_id)


#: Always one row (0 or 1) when the point read can answer, so "no row" means "ask the unit of work".
_REVOKED_COUNT = "SELECT count(*) FROM oidc_revoked_access_tokens WHERE jti = :jti"


async def revoked_by_point_read(point_reads: PointReader, jti: str) -> bool | None:
    """Whether the access token `jti` is revoked, read outside any unit of work (`govhub.db.point_reads`,
    through the unique index on jti); None when the point read cannot answer now."""
    row = await point_reads.one(_REVOKED_COUNT, {"jti": jti})
    return None if row is None else bool(row[0])
