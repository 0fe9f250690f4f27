"""Security keys and passkeys as a second factor (Web Authentication Level 2, with py_webauthn): making the
options a browser passes to `navigator.credentials.create()` / `.get()`, and checking what comes back.

The relying party is this site: its id is the host of `settings.public_url` and the only origin accepted is
that URL's origin (§13.4.9: a response made for another site is refused). Each ceremony's challenge is
random, kept server-side bound to the browser session, used once and short-lived (§13.4.3), so a response
cannot be replayed. Keys are a second factor after the password: user verification is not asked for
(`discouraged`), presence is (a touch). Attestation is not asked for (`none`): any key the person owns
will do, and none of their details reach us beyond a public key."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import webauthn
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from govhub.config import Settings
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.security_keys.models import MAX_CREDENTIAL_ID, MAX_NAME, SecurityKey
from govhub.identity.security_keys.repository import SecurityKeyRepository
from govhub.kit.clock import utcnow

logger = logging.getLogger("govhub.identity.security_keys")

REGISTER = "register"
AUTHENTICATE = "authenticate"
#: How long a challenge can be answered: the browser's prompt waits `_TIMEOUT_MS`, and a person may read
#: the page before pressing the button.
CHALLENGE_LIFETIME = timedelta(minutes=5)
_TIMEOUT_MS = 120_000
#: Longest posted credential read: a "none" attestation is under 1 KB, a packed one with its certificate
#: chain a few KB.
MAX_CREDENTIAL_JSON = 32_000
_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


class SecurityKeyRefused(Exception):
    """A response that is not accepted; `message` is what the person is told."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def relying_party(settings: Settings) -> tuple[str, str]:
    """The relying party id (the public host, without port) and the origin responses must come from."""
    parts = urlsplit(settings.public_url)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def user_handle(account: Account) -> bytes:
    """What the authenticator keeps as the user's id (§14.6.1: no personal information): a digest of the
    account's public id, so the key learns neither the email address nor the id services are given."""
    return hashlib.sha256(b"govhub webauthn user handle\x00" + account.public_id.encode()).digest()


def name_problem(name: str) -> str | None:
    if not name:
        return "Enter a name for your security key"
    if len(name) > MAX_NAME:
        return f"The name must be {MAX_NAME} characters or fewer"
    if not name.isprintable():
        return "The name must be letters, numbers, spaces and punctuation only"
    return None


def _challenge_hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _descriptors(keys: list[SecurityKey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(key.credential_id),
            transports=[AuthenticatorTransport(t) for t in key.transports.split(",") if t in _TRANSPORTS],
        )
        for key in keys
    ]


@dataclass(frozen=True)
class _Posted:
    """A posted credential, parsed only as far as needed to find its challenge and its credential id."""

    body: dict[str, Any]
    credential_id: str
    challenge: bytes


def _parse(credential_json: str) -> _Posted:
    """The credential a browser posted, as JSON with its buffers in base64url (WebAuthn Level 3's
    `PublicKeyCredential.toJSON()` shape). Anything else is refused, before anything is looked up."""
    malformed = SecurityKeyRefused("Your browser sent a response we could not read. Try again")
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise malformed
    try:
        body = json.loads(credential_json)
        response = body["response"]
        client_data = json.loads(base64url_to_bytes(response["clientDataJSON"]))
        challenge = base64url_to_bytes(client_data["challenge"])
        credential_id = body["id"]
    except (ValueError, TypeError, KeyError, RecursionError) as error:  # bad JSON, base64url or shape
        raise malformed from error
    if not isinstance(credential_id, str) or not credential_id or len(credential_id) > MAX_CREDENTIAL_ID:
        raise malformed
    return _Posted(body, credential_id, challenge)


class SecurityKeys:
    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.repository = SecurityKeyRepository(db)
        self.settings = settings
        self.rp_id, self.origin = relying_party(settings)

    async def keys_of(self, account: Account) -> list[SecurityKey]:
        return await self.repository.keys_of(account.id)

    async def has_keys(self, account: Account) -> bool:
        return await self.repository.has_keys(account.id)

    async def _new_challenge(self, sign_in: SignInSession, purpose: str, challenge: bytes) -> None:
        await self.repository.replace_challenge(
            sign_in.id, purpose, _challenge_hash(challenge), utcnow() + CHALLENGE_LIFETIME
        )

    async def _use_challenge(self, sign_in: SignInSession, purpose: str, posted: _Posted) -> None:
        if not await self.repository.use_challenge(
            sign_in.id, purpose, _challenge_hash(posted.challenge), utcnow()
        ):
            # Another page's, an old one, one already used, or one made up.
            raise SecurityKeyRefused("That response was for an old or different page. Try again")

    # --- registration (§7.1) ----------------------------------------------------------------------------

    async def registration_options(self, sign_in: SignInSession, account: Account) -> str:
        """The options for `navigator.credentials.create()`, as JSON; the challenge is kept for `sign_in`."""
        options = webauthn.generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.settings.brand_name,
            user_id=user_handle(account),
            user_name=account.email,
            user_display_name=account.email,
            timeout=_TIMEOUT_MS,
            # A key already registered says so instead of being registered twice.
            exclude_credentials=_descriptors(await self.repository.keys_of(account.id)),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.DISCOURAGED,
                user_verification=UserVerificationRequirement.DISCOURAGED,
            ),
        )
        await self._new_challenge(sign_in, REGISTER, options.challenge)
        return webauthn.options_to_json(options)

    async def register(
        self, sign_in: SignInSession, account: Account, credential_json: str, name: str
    ) -> SecurityKey:
        """Checks the attestation the browser posted and keeps the new key; `SecurityKeyRefused` when it
        is not accepted, with nothing kept."""
        posted = _parse(credential_json)
        await self._use_challenge(sign_in, REGISTER, posted)
        try:
            verified = webauthn.verify_registration_response(
                credential=posted.body,
                expected_challenge=posted.challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
            )
        # The library's parsers raise many kinds of error on hostile input: each one is a refusal.
        except Exception as error:
            logger.info("security key registration refused: %s", error)
            raise SecurityKeyRefused("Your security key could not be added. Try again") from error
        credential_id = bytes_to_base64url(verified.credential_id)
        if len(credential_id) > MAX_CREDENTIAL_ID:
            raise SecurityKeyRefused("Your security key could not be added. Try again")
        transports = posted.body["response"].get("transports")
        listed = transports if isinstance(transports, list) else []
        known = [t for t in listed if isinstance(t, str) and t in _TRANSPORTS]
        added = await self.repository.add_key(
            SecurityKey(
                account_id=account.id,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=",".join(sorted(set(known)))[:200],
                name=name,
                created_at=utcnow(),
            )
        )
        if added is None:
            raise SecurityKeyRefused("This security key is already registered")
        return added

    async def remove(self, account: Account, key_id: int) -> bool:
        return await self.repository.remove_key(account.id, key_id)

    # --- authentication (§7.2) --------------------------------------------------------------------------

    async def authentication_options(self, sign_in: SignInSession, account: Account) -> str:
        """The options for `navigator.credentials.get()`, naming the account's keys, as JSON; the challenge
        is kept for `sign_in`."""
        options = webauthn.generate_authentication_options(
            rp_id=self.rp_id,
            timeout=_TIMEOUT_MS,
            allow_credentials=_descriptors(await self.repository.keys_of(account.id)),
            user_verification=UserVerificationRequirement.DISCOURAGED,
        )
        await self._new_challenge(sign_in, AUTHENTICATE, options.challenge)
        return webauthn.options_to_json(options)

    async def authenticate(
        self, sign_in: SignInSession, account: Account, credential_json: str
    ) -> SecurityKey:
        """Checks the assertion the browser posted against the account's key, and records its use; the key,
        or `SecurityKeyRefused` with nothing recorded."""
        posted = _parse(credential_json)
        await self._use_challenge(sign_in, AUTHENTICATE, posted)
        key = await self.repository.key_by_credential_id(posted.credential_id)
        if key is None or key.account_id != account.id:
            # An unknown key and another account's say the same: which keys exist is nobody's business.
            raise SecurityKeyRefused("That security key is not registered to your account")
        try:
            verified = webauthn.verify_authentication_response(
                credential=posted.body,
                expected_challenge=posted.challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=key.public_key,
                # The counter is checked below, once the signature is known to be the key's own.
                credential_current_sign_count=0,
            )
        # The library's parsers raise many kinds of error on hostile input: each one is a refusal.
        except Exception as error:
            logger.info("security key sign-in refused for key %s: %s", key.id, error)
            raise SecurityKeyRefused("Your security key could not be checked. Try again") from error
        new = verified.new_sign_count
        # §6.1.1: a counter that does not go up means two copies of the key exist (a clone). A key that
        # keeps no counter always says 0.
        if (new > 0 or key.sign_count > 0) and new <= key.sign_count:
            logger.warning("security key %s refused: counter %s, last seen %s", key.id, new, key.sign_count)
            raise SecurityKeyRefused(
                "This security key may have been copied, so it cannot be used. Use a code instead, and "
                "remove the key from your account"
            )
        now = utcnow()
        if not await self.repository.claim_sign_count(key.id, key.sign_count, new, now):
            # Another request used the key in the meantime: one of the two is a replay or a clone.
            raise SecurityKeyRefused("Your security key could not be checked. Try again")
        set_committed_value(key, "sign_count", new)
        set_committed_value(key, "last_used_at", now)
        return key
