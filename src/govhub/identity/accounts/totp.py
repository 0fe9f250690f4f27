"""Time-based one-time passwords (RFC 6238, HOTP of RFC 4226): SHA-1, 6 digits, 30-second steps, as every
authenticator app reads from an `otpauth://` URI. Standard library only."""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

DIGITS = 6
STEP_SECONDS = 30
#: One step either side: a code typed as it changes, or a phone clock half a minute out.
WINDOW = 1


def new_secret() -> str:
    """160 random bits (RFC 4226's recommended length), base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def secret_problems(secret: str) -> list[str]:
    try:
        key = _key(secret)
    except ValueError:
        return ["a TOTP secret is base32 (letters A to Z and digits 2 to 7)"]
    return [] if len(key) >= 16 else ["a TOTP secret needs at least 128 bits (26 base32 characters)"]


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    if not cleaned or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in cleaned):
        raise ValueError("not base32")
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp(secret: str, at: float | None = None) -> str:
    """The code for `secret` at Unix time `at` (now by default)."""
    return hotp(_key(secret), int((time.time() if at is None else at) // STEP_SECONDS))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code `code` is, within the window around `at`; None if none is. Callers keep
    the last step used, so a code is never accepted twice (RFC 6238 §5.2)."""
    candidate = code.replace(" ", "")
    if len(candidate) != DIGITS or not candidate.isdigit():
        return None
    now = int((time.time() if at is None else at) // STEP_SECONDS)
    key = _key(secret)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(hotp(key, step), candidate):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """What an authenticator app reads from a QR code."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"
