"""What one app node of the provider keeps between requests: the settings, the key ring, the client cache,
clients' remote key sets. Nodes are stateless: all of this is a cache of the database (or of clients'
`jwks_uri`) and is re-read after a short time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from joserfc import jwk
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from govhub.config import Settings
from govhub.db import Database
from govhub.identity.oidc.clients.service import ClientCache, RemoteKeySets
from govhub.identity.oidc.discovery.keys import AccountSeal, KeyRing, derive_key
from govhub.identity.oidc.subjects import Subjects
from govhub.identity.oidc.tokens.one_time_ids import OneTimeIds
from govhub.identity.oidc.tokens.repository import TokensRepository
from govhub.kit.clock import utcnow

#: Expired one-time ids are swept at most this often per node; the unique constraint, not the sweep,
#: is what refuses a replay.
_SWEEP_SECONDS = 60


@dataclass
class Provider:
    settings: Settings
    keys: KeyRing
    clients: ClientCache
    remote_keys: RemoteKeySets
    subjects: Subjects
    #: Seals the account id inside access tokens about a person.
    account_seal: AccountSeal
    #: The group-commit writer of one-time ids; None records them in the caller's unit of work.
    one_time_ids: OneTimeIds | None = None
    #: Clients' registered key sets, imported once per registration this node holds.
    key_sets: dict[str, tuple[object, jwk.KeySet]] = field(default_factory=dict)
    #: Access tokens whose signature, issuer and form this node has checked, with their claims
    #: (`tokens.check_access_token`): a machine client sends the same token for minutes.
    checked_access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The node's database, for point reads outside the caller's unit of work (read at call time: tests
    #: put a point reader of their own in place after the app is made).
    database: Database | None = None
    _last_sweep: float = field(default=0.0)

    @classmethod
    def for_settings(cls, settings: Settings, database: Database | None = None) -> Provider:
        return cls(
            settings=settings,
            keys=KeyRing(settings, database=database),
            clients=ClientCache(settings.oidc_cache_seconds, database=database),
            remote_keys=RemoteKeySets(),
            subjects=Subjects(settings),
            account_seal=AccountSeal(derive_key(settings, "govhub oidc access token account")),
            one_time_ids=OneTimeIds(database) if database is not None else None,
            database=database,
        )

    @property
    def issuer(self) -> str:
        return self.settings.public_url.rstrip("/")

    def url(self, path: str) -> str:
        return self.issuer + path

    @property
    def token_endpoint(self) -> str:
        return self.url("/token")

    async def record_jti(
        self,
        db: AsyncSession,
        kind: str,
        issuer: str,
        jti: str,
        expires_at: datetime,
        *,
        group_commit: bool = False,
    ) -> bool:
        """Record a one-time id until it expires; False when it was seen before (a replay).

        `group_commit` hands it to the node's group-commit writer, for requests that write nothing else
        (the `client_credentials` grant). Any other request records it in its own unit of work, as its
        first statement: on SQLite a transaction that read and then writes fails if another connection (the
        writer) committed in between, while one that starts by writing holds the write lock throughout."""
        if group_commit and self.one_time_ids is not None and not db.in_transaction():
            return await self.one_time_ids.record(kind, issuer, jti, expires_at)
        return await TokensRepository(db).record_jti(kind, issuer, jti, expires_at)

    def client_key_set(self, client_id: str, jwks: dict[str, Any]) -> jwk.KeySet:
        cached = self.key_sets.get(client_id)
        if cached is not None and cached[0] is jwks:
            return cached[1]
        key_set = jwk.KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        if len(self.key_sets) > 10_000:
            self.key_sets.clear()
        self.key_sets[client_id] = (jwks, key_set)
        return key_set

    async def sweep_expired(self, db: AsyncSession) -> None:
        """Now and then, drop one-time ids and revocations whose tokens have expired anyway."""
        if time.monotonic() - self._last_sweep < _SWEEP_SECONDS:
            return
        self._last_sweep = time.monotonic()
        await TokensRepository(db).forget_expired_jtis(utcnow())


def provider_of(request: Request) -> Provider:
    """The app's provider state, made on first use."""
    state = request.app.state
    provider: Provider | None = getattr(state, "oidc_provider", None)
    if provider is None:
        provider = Provider.for_settings(state.settings, state.database)
        state.oidc_provider = provider
    return provider
