"""How the platform keeps bearer secrets it hands out (authorization codes, refresh tokens, session tokens,
email links, client secrets): only their SHA-256, in hex. They are long random values, so a fast hash is
enough (passwords, which people choose, get argon2id instead); a leaked table gives nothing to replay."""

from __future__ import annotations

import hashlib


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
