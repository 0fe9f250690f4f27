"""Recovery codes: ten single-use codes shown once when made, for when the authenticator app is lost.
Each is 10 characters from a 31-letter alphabet without look-alikes (about 49 bits); throttling of code
attempts makes guessing hopeless. Kept as HMAC-SHA-256 under a key derived from `settings.secret_key`."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from govhub.config import Settings

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_LENGTH = 10


def new_codes() -> list[str]:
    codes = []
    for _ in range(COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalised(code: str) -> str | None:
    """The code as stored, however it was spaced, hyphenated or capitalised; None if it cannot be one."""
    cleaned = "".join(c for c in code.lower() if c not in " -")
    if len(cleaned) != _LENGTH or any(c not in _ALPHABET for c in cleaned):
        return None
    return cleaned


def looks_like_one(code: str) -> bool:
    return normalised(code) is not None


def code_hash(code: str, settings: Settings) -> str:
    key = hmac.new(settings.secret_key.get_secret_value().encode(), b"govhub recovery codes v1", "sha256")
    return hmac.new(key.digest(), (normalised(code) or "").encode(), hashlib.sha256).hexdigest()
