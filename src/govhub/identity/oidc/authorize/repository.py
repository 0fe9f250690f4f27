"""The authorization journey's SQL: pending requests (PAR and in progress), codes, consent grants and their
history, client sessions and back-channel logout deliveries. Ending client sessions, and finding browser
sessions that timed out, is `logout_repository`'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import Account
from govhub.identity.oidc.models import (
    AuthorizationCode,
    ClientSession,
    ConsentGrant,
    ConsentRevision,
    LogoutDelivery,
    PendingAuthorization,
    RefreshToken,
    RelyingParty,
)


def _changed(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class AuthorizeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- pending authorization requests -------------------------------------------------------------

    async def add_pending(self, pending: PendingAuthorization) -> PendingAuthorization:
        self.session.add(pending)
        await self.session.flush()
        return pending

    async def pending(self, request_uri: str, now: datetime) -> PendingAuthorization | None:
        """A journey in progress (not a pushed request waiting to be used), unless it has expired."""
        found: PendingAuthorization | None = await self.session.scalar(
            select(PendingAuthorization).where(
                PendingAuthorization.request_uri == request_uri,
                PendingAuthorization.pushed.is_(False),
                PendingAuthorization.expires_at > now,
            )
        )
        return found

    async def take_pushed(
        self, request_uri: str, client_id: str, journey_uri: str, now: datetime, journey_expires_at: datetime
    ) -> PendingAuthorization | None:
        """Use a pushed request once (RFC 9126 §4): it becomes a journey under a new handle, so the pushed
        `request_uri` finds nothing a second time, on whichever node it is tried."""
        result = await self.session.execute(
            update(PendingAuthorization)
            .where(
                PendingAuthorization.request_uri == request_uri,
                PendingAuthorization.client_id == client_id,
                PendingAuthorization.pushed.is_(True),
                PendingAuthorization.expires_at > now,
            )
            .values(request_uri=journey_uri, pushed=False, expires_at=journey_expires_at)
            .execution_options(synchronize_session=False)
        )
        if _changed(result) != 1:
            return None
        return await self.pending(journey_uri, now)

    async def finish(self, pending: PendingAuthorization) -> None:
        """A journey ends once: a code issued or an error sent; its handle leads nowhere afterwards."""
        await self.session.delete(pending)
        await self.session.flush()

    async def forget_expired(self, now: datetime) -> None:
        await self.session.execute(delete(PendingAuthorization).where(PendingAuthorization.expires_at <= now))

    # --- codes and client sessions --------------------------------------------------------------------

    async def add_code(self, code: AuthorizationCode) -> AuthorizationCode:
        self.session.add(code)
        await self.session.flush()
        return code

    async def client_session(self, sid: str, client_id: str) -> ClientSession | None:
        found: ClientSession | None = await self.session.scalar(
            select(ClientSession).where(ClientSession.sid == sid, ClientSession.client_id == client_id)
        )
        return found

    async def add_client_session(self, client_session: ClientSession) -> ClientSession:
        self.session.add(client_session)
        await self.session.flush()
        return client_session

    async def signed_in_services(self, account_id: int) -> Sequence[tuple[ClientSession, RelyingParty]]:
        """The person's client sessions still open, with their services, newest first."""
        rows = await self.session.execute(
            select(ClientSession, RelyingParty)
            .join(RelyingParty, RelyingParty.client_id == ClientSession.client_id)
            .where(ClientSession.account_id == account_id, ClientSession.ended_at.is_(None))
            .order_by(ClientSession.signed_in_at.desc())
        )
        return [(row[0], row[1]) for row in rows.all()]

    # --- consent ------------------------------------------------------------------------------------

    async def consent(self, account_id: int, client_id: str) -> ConsentGrant | None:
        found: ConsentGrant | None = await self.session.scalar(
            select(ConsentGrant).where(
                ConsentGrant.account_id == account_id, ConsentGrant.client_id == client_id
            )
        )
        return found

    async def add_consent(self, grant: ConsentGrant) -> ConsentGrant:
        self.session.add(grant)
        await self.session.flush()
        return grant

    async def add_consent_revision(self, revision: ConsentRevision) -> None:
        self.session.add(revision)
        await self.session.flush()

    async def granted_services(self, account_id: int) -> Sequence[tuple[ConsentGrant, RelyingParty]]:
        rows = await self.session.execute(
            select(ConsentGrant, RelyingParty)
            .join(RelyingParty, RelyingParty.client_id == ConsentGrant.client_id)
            .where(ConsentGrant.account_id == account_id, ConsentGrant.withdrawn_at.is_(None))
            .order_by(RelyingParty.name)
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def clients_with_live_refresh_tokens(self, account_id: int, now: datetime) -> set[str]:
        """The services holding a refresh token of the person that still works (unused, unrevoked,
        unexpired: the newest of each family)."""
        rows = await self.session.scalars(
            select(RefreshToken.client_id)
            .where(
                RefreshToken.account_id == account_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .distinct()
        )
        return set(rows.all())

    # --- back-channel logout ------------------------------------------------------------------------

    async def clients(self, client_ids: Sequence[str]) -> dict[str, RelyingParty]:
        rows = await self.session.scalars(
            select(RelyingParty).where(RelyingParty.client_id.in_(list(client_ids)))
        )
        return {client.client_id: client for client in rows.all()}

    async def client(self, client_id: str) -> RelyingParty | None:
        found: RelyingParty | None = await self.session.scalar(
            select(RelyingParty).where(RelyingParty.client_id == client_id)
        )
        return found

    async def account(self, account_id: int) -> Account | None:
        return await self.session.get(Account, account_id)

    async def add_delivery(self, delivery: LogoutDelivery) -> None:
        self.session.add(delivery)
        await self.session.flush()

    async def due_deliveries(self, now: datetime, limit: int) -> Sequence[tuple[int, datetime]]:
        """Ids of deliveries due now, with the `next_attempt_at` each was read at (the claim checks it)."""
        rows = await self.session.execute(
            select(LogoutDelivery.id, LogoutDelivery.next_attempt_at)
            .where(
                LogoutDelivery.delivered_at.is_(None),
                LogoutDelivery.abandoned_at.is_(None),
                LogoutDelivery.next_attempt_at <= now,
            )
            .order_by(LogoutDelivery.next_attempt_at)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def claim_delivery(self, delivery_id: int, seen: datetime, lease_until: datetime) -> bool:
        """Take a delivery for one attempt: True only for the one node whose UPDATE found it unchanged
        since it was read. If that node dies mid-attempt, the lease runs out and another takes it."""
        result = await self.session.execute(
            update(LogoutDelivery)
            .where(
                LogoutDelivery.id == delivery_id,
                LogoutDelivery.next_attempt_at == seen,
                LogoutDelivery.delivered_at.is_(None),
                LogoutDelivery.abandoned_at.is_(None),
            )
            .values(next_attempt_at=lease_until, attempts=LogoutDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def delivery(self, delivery_id: int) -> LogoutDelivery | None:
        found: LogoutDelivery | None = await self.session.scalar(
            select(LogoutDelivery)
            .where(LogoutDelivery.id == delivery_id)
            .execution_options(populate_existing=True)
        )
        return found
