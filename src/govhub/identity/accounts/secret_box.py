"""Authenticator secrets encrypted at rest: AES-256-GCM under a key derived (HKDF-SHA-256) from
`settings.secret_key`, with the account's public id as associated data, so a stolen database holds no
usable secrets and a sealed secret copied to another account's row does not open there."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from govhub.config import Settings

_PREFIX = "v1."
_NONCE_BYTES = 12


class SecretNotOpened(Exception):
    """The sealed secret was made under another key, or altered."""


class SecretBox:
    def __init__(self, settings: Settings) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"govhub identity totp v1").derive(
            settings.secret_key.get_secret_value().encode()
        )
        self._aead = AESGCM(key)

    def seal(self, secret: str, account_public_id: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), account_public_id.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, sealed: str, account_public_id: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise SecretNotOpened("not a sealed secret")
        body = sealed.removeprefix(_PREFIX)
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            opened = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], account_public_id.encode())
        except (InvalidTag, ValueError) as error:
            raise SecretNotOpened("the secret does not open with this key") from error
        return opened.decode()
