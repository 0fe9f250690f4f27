"""The provider's signing keys: made on first use, published in the JWKS before they sign, withdrawn after
they stop. ES256 signs by default; RS256 for clients registered for it.

Rotation (`govhub identity keys rotate`) adds a key that is published now and signs only from
`now + oidc_key_publish_ahead_seconds`, so relying parties caching the JWKS already hold it when the first
token signed with it arrives; the key it replaces stays published `oidc_key_retire_after_seconds` longer.

Private keys are sealed at rest with AES-256-GCM under a key derived from `secret_key` (HKDF), so a copy of
the database alone does not sign tokens. Each app node keeps the keys in memory for `oidc_cache_seconds`
and then reads them again, so a rotation on one node reaches every node without restarts."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwk, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.db import Database
from govhub.identity.oidc.discovery.repository import KeysRepository
from govhub.identity.oidc.jose import es256_sign
from govhub.identity.oidc.models import SigningKey
from govhub.kit.clock import utcnow

#: Algorithms the provider signs with. ES256 is the default (GOV.UK One Login's choice); RS256 for
#: relying parties whose libraries know nothing else.
SIGNING_ALGORITHMS = ("ES256", "RS256")
_SEALED_PREFIX = "sealed-v1."


class UnknownAlgorithm(ValueError):
    pass


def derive_key(settings: Settings, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose, derived from `secret_key` (HKDF-SHA256), so one secret feeds many uses
    that cannot be confused with each other."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        settings.secret_key.get_secret_value().encode()
    )


class KeySealer:
    """AES-256-GCM with a random nonce; the stored text is `sealed-v1.<base64url(nonce || ciphertext)>`."""

    def __init__(self, settings: Settings) -> None:
        self._aead = AESGCM(derive_key(settings, "govhub oidc signing keys at rest"))

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), b"oidc_signing_keys")
        return _SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(_SEALED_PREFIX):
            return stored  # a key stored before sealing existed: plain JWK JSON
        sealed = base64.urlsafe_b64decode(stored.removeprefix(_SEALED_PREFIX))
        return self._aead.decrypt(sealed[:12], sealed[12:], b"oidc_signing_keys").decode()


class AccountSeal:
    """The account id inside access tokens: AES-256-GCM, random nonce, so each token's value differs."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, account_id: int) -> str:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, struct.pack(">q", account_id), b"gh_acct")
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def open(self, sealed: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            return int(struct.unpack(">q", self._aead.decrypt(raw[:12], raw[12:], b"gh_acct"))[0])
        except (InvalidTag, ValueError, struct.error):
            raise ValueError("the account reference does not open") from None


def generate_private_jwk(alg: str) -> jwk.Key:
    if alg == "ES256":
        key: jwk.Key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    elif alg == "RS256":
        key = jwk.RSAKey.generate_key(2048, private=True, auto_kid=True)
    else:
        raise UnknownAlgorithm(f"the provider signs with {', '.join(SIGNING_ALGORITHMS)}, not {alg!r}")
    return key


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    alg: str
    key: jwk.Key
    published_at: datetime
    active_from: datetime
    retired_at: datetime | None

    def published(self, now: datetime) -> bool:
        return self.published_at <= now and (self.retired_at is None or now < self.retired_at)

    def signs(self, now: datetime) -> bool:
        return self.active_from <= now and (self.retired_at is None or now < self.retired_at)

    def state(self, now: datetime) -> str:
        if not self.published(now):
            return "retired" if self.retired_at is not None and self.retired_at <= now else "unpublished"
        if self.active_from > now:
            return "next"
        return "published"

    def public_jwk(self) -> dict[str, Any]:
        return {**self.key.as_dict(private=False), "kid": self.kid, "alg": self.alg, "use": "sig"}


class KeyRing:
    """The signing keys as one app node sees them, re-read from the database after `cache_seconds`."""

    def __init__(
        self, settings: Settings, *, cache_seconds: float | None = None, database: Database | None = None
    ) -> None:
        self.settings = settings
        self.cache_seconds = settings.oidc_cache_seconds if cache_seconds is None else cache_seconds
        #: An app node's ring reads and makes keys in sessions of its own while the request's session has
        #: not begun, so reading keys does not begin it (on SQLite a request transaction that has read may
        #: not write after another connection's commit), and a key made for one request does not vanish
        #: with that request's rollback.
        self.database = database
        self._sealer = KeySealer(settings)
        self._loaded: list[LoadedKey] | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        #: An unknown `kid` reads the keys again, but not more often than this.
        self.min_reload_seconds = 1.0

    def forget(self) -> None:
        self._loaded = None

    def _fresh(self) -> bool:
        return self._loaded is not None and time.monotonic() - self._loaded_at <= self.cache_seconds

    async def keys(self, db: AsyncSession) -> list[LoadedKey]:
        if self._fresh() and self._loaded is not None:
            return self._loaded
        if self.database is None or db.in_transaction():
            # A request already in a transaction reads in it: taking a second connection while holding
            # SQLite's write lock could wait for a connection held by requests waiting for that lock.
            return await self._read(db)
        async with self._lock:  # one read per node when the cache runs out, not one per request
            if self._fresh() and self._loaded is not None:
                return self._loaded
            async with self.database.sessions() as own:
                return await self._read(own)

    async def _read(self, db: AsyncSession) -> list[LoadedKey]:
        rows = await KeysRepository(db).all_keys()
        self._loaded = [self._load(row) for row in rows]
        self._loaded_at = time.monotonic()
        return self._loaded

    def _load(self, row: SigningKey) -> LoadedKey:
        key = jwk.import_key(json.loads(self._sealer.open(row.private_jwk)))
        return LoadedKey(row.kid, row.alg, key, row.published_at, row.active_from, row.retired_at)

    async def signing_key(self, db: AsyncSession, alg: str) -> LoadedKey:
        """The newest key of `alg` that may sign now; the first one is made on first use."""
        if alg not in SIGNING_ALGORITHMS:
            raise UnknownAlgorithm(f"the provider signs with {', '.join(SIGNING_ALGORITHMS)}, not {alg!r}")
        now = utcnow()
        candidates = [k for k in await self.keys(db) if k.alg == alg and k.signs(now)]
        if candidates:
            return max(candidates, key=lambda k: k.active_from)
        # Nothing can sign yet: a first key signs at once (there is no older key relying parties trust).
        if self.database is None or db.in_transaction():
            made = await self._add_key(db, alg, published_at=now, active_from=now)
            # Read again next time: if this unit of work rolls back, the key must not outlive it here.
            self.forget()
            return made
        async with self._lock:
            # Another request of this node may have made it while this one waited (just now: the time
            # taken before the wait can be earlier than that key's start).
            now = utcnow()
            existing = [k for k in (self._loaded or []) if k.alg == alg and k.signs(now)]
            if existing:
                return max(existing, key=lambda k: k.active_from)
            async with self.database.sessions() as own, own.begin():
                made = await self._add_key(own, alg, published_at=now, active_from=now)
            self._loaded = [*(self._loaded or []), made]
            return made

    async def _add_key(
        self, db: AsyncSession, alg: str, *, published_at: datetime, active_from: datetime
    ) -> LoadedKey:
        key = generate_private_jwk(alg)
        kid = key.kid or key.thumbprint()
        row = SigningKey(
            kid=kid,
            alg=alg,
            private_jwk=self._sealer.seal(json.dumps(key.as_dict(private=True))),
            published_at=published_at,
            active_from=active_from,
            retired_at=None,
        )
        await KeysRepository(db).add(row)
        return self._load(row)

    async def rotate(self, db: AsyncSession, alg: str = "ES256") -> LoadedKey:
        """Publish a new key now that signs after the publish-ahead interval; the keys it replaces are
        withdrawn from the JWKS `oidc_key_retire_after_seconds` after that."""
        if alg not in SIGNING_ALGORITHMS:
            raise UnknownAlgorithm(f"the provider signs with {', '.join(SIGNING_ALGORITHMS)}, not {alg!r}")
        now = utcnow()
        active_from = now + timedelta(seconds=self.settings.oidc_key_publish_ahead_seconds)
        retire_at = active_from + timedelta(seconds=self.settings.oidc_key_retire_after_seconds)
        replaced = await KeysRepository(db).unretired(alg)
        for old in replaced:
            old.retired_at = retire_at
        # With no key to replace, nobody can hold an older one: the new key signs at once.
        made = await self._add_key(db, alg, published_at=now, active_from=active_from if replaced else now)
        self.forget()
        return made

    async def retire(self, db: AsyncSession, kid: str) -> LoadedKey | None:
        """Withdraw a key now (after a suspected leak): it stops signing and leaves the JWKS at once, and
        tokens it signed stop verifying. None when there is no such key."""
        row = await KeysRepository(db).by_kid(kid)
        if row is None:
            return None
        row.retired_at = utcnow()
        await db.flush()
        self.forget()
        return self._load(row)

    async def public_jwks(self, db: AsyncSession) -> dict[str, Any]:
        """RFC 7517 §5: every key published now, signing or about to."""
        now = utcnow()
        published = [k for k in await self.keys(db) if k.published(now)]
        if not any(k.alg == "ES256" for k in published):
            # A fresh deployment publishes its default key before the first token needs it.
            published.append(await self.signing_key(db, "ES256"))
        return {"keys": [k.public_jwk() for k in published]}

    async def verification_key(self, db: AsyncSession, kid: str) -> LoadedKey | None:
        """One of our published keys by `kid`, to check a token we issued; None for an unknown or
        withdrawn key. An unknown `kid` reads the keys again (at most once a second): another node, or
        another request of this one, may have made a key since they were read."""
        for attempt in range(2):
            now = utcnow()
            for key in await self.keys(db):
                if key.kid == kid and key.published(now):
                    return key
            if attempt or time.monotonic() - self._loaded_at < self.min_reload_seconds:
                break
            self.forget()
        return None

    async def sign(
        self, db: AsyncSession, claims: dict[str, Any], *, alg: str = "ES256", typ: str = "JWT"
    ) -> str:
        key = await self.signing_key(db, alg)
        header = {"alg": alg, "kid": key.kid, "typ": typ}
        if alg == "ES256" and isinstance(key.key, jwk.ECKey) and key.key.private_key is not None:
            return es256_sign(key.key.private_key, header, claims)
        return jwt.encode(header, claims, key.key, algorithms=[alg])


async def sign_jwt(
    db: AsyncSession, claims: dict[str, Any], *, alg: str = "ES256", typ: str = "JWT", settings: Settings
) -> str:
    """Sign `claims` with the provider's current key for `alg` (e.g. logout tokens, `typ="logout+jwt"`).
    Reads the keys from the database; request handlers use the app's cached `KeyRing` instead."""
    return await KeyRing(settings, cache_seconds=0).sign(db, claims, alg=alg, typ=typ)
