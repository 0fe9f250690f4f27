"""Consent for person data: which scopes need it, what each means in plain words, and the grants a person
has given, remembered per (account, service) and withdrawn from the account's services page.

Every grant and withdrawal is also written to the append-only `oidc_consent_revisions` in the same
transaction, so what a service was allowed to receive, and when, can be shown later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.authorize.repository import AuthorizeRepository
from govhub.identity.oidc.clients.service import DATA_USE_SCOPE, EXCHANGE_FOR_PERSON_SCOPE, OFFLINE_ACCESS
from govhub.identity.oidc.logout import service as logout
from govhub.identity.oidc.models import ConsentGrant, ConsentRevision, RelyingParty
from govhub.identity.oidc.tokens import revocation

#: Scopes a service gets only with the person's consent, and what each means in plain words. `openid`
#: alone (a pairwise identifier and how the person signed in) needs none. `offline_access` is asked like
#: data (OpenID Connect Core §11: the provider must always obtain consent to a refresh token), and so are
#: the data tracker and acting for the person through the data exchange.
SCOPE_DATA: dict[str, str] = {
    "email": "Your email address",
    "identity": "Your name and date of birth, as checked against an official register",
    "business": "The organisations you represent, and your role in each",
    DATA_USE_SCOPE: "The record of which services used your data through govhub (your data tracker)",
    EXCHANGE_FOR_PERSON_SCOPE: "Asking other services about you through govhub's data exchange, on your "
    "behalf (each time shows in your data tracker)",
    OFFLINE_ACCESS: "Keeping this access while you are not using the service, until you withdraw it",
}


def needing_consent(scopes: Sequence[str]) -> list[str]:
    return [scope for scope in scopes if scope in SCOPE_DATA]


@dataclass(frozen=True)
class GrantedService:
    client: RelyingParty
    grant: ConsentGrant

    @property
    def data(self) -> list[str]:
        return [SCOPE_DATA[scope] for scope in self.grant.scopes if scope in SCOPE_DATA]


@dataclass(frozen=True)
class PersonService:
    """A service the person can withdraw: signed in to now, holding refresh tokens, or granted consent."""

    client: RelyingParty
    grant: ConsentGrant | None
    #: When the person last signed in to it in a browser session still open; None if in none.
    signed_in_at: datetime | None
    #: It holds refresh tokens that still work (it can act while the person is away).
    standing_access: bool

    @property
    def data(self) -> list[str]:
        return [] if self.grant is None else GrantedService(self.client, self.grant).data


async def services_of(db: AsyncSession, account_id: int, now: datetime) -> list[PersonService]:
    """Every service the person can withdraw, by name: the account's services page lists them all, so a
    service the person signed in to without sharing any data can be withdrawn too."""
    repository = AuthorizeRepository(db)
    consented = await Consents(repository).granted_services(account_id)
    granted = {service.client.client_id: service for service in consented}
    signed_in: dict[str, tuple[datetime, RelyingParty]] = {}
    for client_session, client in await repository.signed_in_services(account_id):
        # Newest first: a service's first session is its latest sign-in.
        signed_in.setdefault(client.client_id, (client_session.signed_in_at, client))
    standing = await repository.clients_with_live_refresh_tokens(account_id, now)
    clients = {client_id: service.client for client_id, service in granted.items()}
    clients.update({client_id: client for client_id, (_, client) in signed_in.items()})
    clients.update(await repository.clients(sorted(set(standing) - set(clients))))
    services = [
        PersonService(
            client=client,
            grant=granted[client_id].grant if client_id in granted else None,
            signed_in_at=signed_in[client_id][0] if client_id in signed_in else None,
            standing_access=client_id in standing,
        )
        for client_id, client in clients.items()
    ]
    return sorted(services, key=lambda service: (service.client.name, service.client.client_id))


async def withdrawn_service(db: AsyncSession, client_id: str | None) -> RelyingParty | None:
    """The service named in the services page's `?withdrawn=` (to say it was withdrawn), if any."""
    return await AuthorizeRepository(db).client(client_id[:100]) if client_id else None


async def withdraw_service(
    db: AsyncSession, settings: Settings, account_id: int, client_id: str, now: datetime
) -> bool:
    """The person withdraws a service, whether or not they consented to any data: its refresh tokens and
    the access tokens that may still be live are revoked, the consent (if any) withdrawn, and it is
    signed out of every browser session (back-channel logout). False when the service had nothing to
    withdraw."""
    revoked = await revocation.revoke_person_tokens(db, settings, account_id, now, client_id=client_id)
    withdrew = await Consents(AuthorizeRepository(db)).withdraw(account_id, client_id, now)
    ended = await logout.service_signed_out(db, account_id, client_id)
    return bool(revoked or withdrew or ended.services_signed_out)


class Consents:
    def __init__(self, repository: AuthorizeRepository) -> None:
        self.repository = repository

    async def missing(self, account_id: int, client_id: str, scopes: Sequence[str]) -> list[str]:
        """The person-data scopes asked for that the person has not (or no longer) granted this service."""
        wanted = needing_consent(scopes)
        if not wanted:
            return []
        grant = await self.repository.consent(account_id, client_id)
        granted = set() if grant is None or grant.withdrawn_at is not None else set(grant.scopes)
        return [scope for scope in wanted if scope not in granted]

    async def grant(
        self, account_id: int, client_id: str, scopes: Sequence[str], now: datetime
    ) -> ConsentGrant:
        """Remember consent to `scopes`, added to what is already granted (a withdrawn grant starts again)."""
        asked = needing_consent(scopes)
        grant = await self.repository.consent(account_id, client_id)
        if grant is None:
            grant = await self.repository.add_consent(
                ConsentGrant(account_id=account_id, client_id=client_id, scopes=asked, granted_at=now)
            )
        else:
            kept = [] if grant.withdrawn_at is not None else list(grant.scopes)
            grant.scopes = kept + [scope for scope in asked if scope not in kept]
            grant.granted_at = now
            grant.withdrawn_at = None
        await self.repository.add_consent_revision(
            ConsentRevision(
                account_id=account_id, client_id=client_id, action="granted", scopes=grant.scopes, at=now
            )
        )
        return grant

    async def withdraw(self, account_id: int, client_id: str, now: datetime) -> bool:
        """Withdraw consent: the service is asked again next time (`withdraw_service` also ends its tokens
        and sessions). False when there was no grant in force."""
        grant = await self.repository.consent(account_id, client_id)
        if grant is None or grant.withdrawn_at is not None:
            return False
        grant.withdrawn_at = now
        grant.scopes = []
        await self.repository.add_consent_revision(
            ConsentRevision(account_id=account_id, client_id=client_id, action="withdrawn", scopes=[], at=now)
        )
        return True

    async def granted_services(self, account_id: int) -> list[GrantedService]:
        return [
            GrantedService(client, grant)
            for grant, client in await self.repository.granted_services(account_id)
        ]
