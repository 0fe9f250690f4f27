"""Consent for person data: which scopes need it, what each means in plain words, and the grants a person
has given, remembered per (account, service) and withdrawn from the account's services page.

Every grant and withdrawal is also written to the append-only `oidc_consent_revisions` in the same
transaction, so what a service was allowed to receive, and when, can be shown later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from govhub.identity.oidc.authorize_repository import AuthorizeRepository
from govhub.identity.oidc.models import ConsentGrant, ConsentRevision, RelyingParty

#: Person-data scopes: a service receives these only with the person's consent. `openid` alone (a
#: pairwise identifier and how the person signed in) and `offline_access` need none.
SCOPE_DATA: dict[str, str] = {
    "email": "Your email address",
    "identity": "Your name and date of birth, as checked against an official register",
    "business": "The organisations you represent, and your role in each",
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
        """Withdraw consent: the service is asked again next time, and its refresh tokens stop working.
        False when there was no grant in force."""
        grant = await self.repository.consent(account_id, client_id)
        if grant is None or grant.withdrawn_at is not None:
            return False
        grant.withdrawn_at = now
        grant.scopes = []
        await self.repository.add_consent_revision(
            ConsentRevision(account_id=account_id, client_id=client_id, action="withdrawn", scopes=[], at=now)
        )
        await self.repository.revoke_refresh_tokens(account_id, client_id, now)
        return True

    async def granted_services(self, account_id: int) -> list[GrantedService]:
        return [
            GrantedService(client, grant)
            for grant, client in await self.repository.granted_services(account_id)
        ]
