"""The public keys a subsystem registers: a JWK Set (RFC 7517 §5) of signing keys, each EC on P-256 or RSA
of at least 2048 bits, public only. The subsystem signs its `private_key_jwt` client assertions (RFC 7523)
with the private halves, which never leave it.

The shape is checked here first, the RSA modulus measured before any key is imported (joserfc warns on,
and a suite with warnings as errors fails on, a weak key), then the identity provider's own check runs, so
a key accepted here is one the provider accepts when it registers the subsystem's client."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from govhub.identity.oidc import jwks_problems as provider_jwks_problems

MIN_RSA_BITS = 2048
MAX_KEYS = 5
MAX_JWKS_BYTES = 16_384
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
#: What each key type may sign with, as the provider checks client assertions (`ASSERTION_ALGORITHMS`).
_ALGORITHMS = {"EC": ("ES256",), "RSA": ("RS256", "PS256")}


def _unpadded_bytes(value: object) -> bytes | None:
    """RFC 7515 §2 base64url without padding, decoded; None when it is not that."""
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) > 2048:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _texts(key: dict[Any, Any]) -> list[str] | None:
    """Every name and value in a JWK, which holds only text and lists of text (RFC 7517 §4: `key_ops` and
    `x5c` are the lists); None when it holds anything else."""
    texts: list[str] = []
    for name, value in key.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(name, str) or not all(isinstance(item, str) for item in values):
            return None
        texts += [name, *values]
    return texts


def _key_problem(index: int, key: object) -> str | None:  # noqa: PLR0911 (one answer per rule)
    if not isinstance(key, dict):
        return f"key {index} is not a JSON object"
    texts = _texts(key)
    if texts is None:
        return f"key {index} holds something other than text: a JWK's members are strings"
    if not all(text.isprintable() for text in texts):
        return f"key {index} contains control characters"
    kty = key.get("kty")
    if kty not in _ALGORITHMS:
        return f"key {index} must be an EC key on P-256 or an RSA key of at least {MIN_RSA_BITS} bits"
    present = [name for name in _PRIVATE_MEMBERS if name in key]
    if present:
        return (
            f"key {index} contains private key material ({', '.join(present)}): register the public key "
            "only, and keep the private key to yourself"
        )
    if "alg" in key and key["alg"] not in _ALGORITHMS[str(kty)]:
        return f"key {index} is an {kty} key, so its alg is one of {', '.join(_ALGORITHMS[str(kty)])}"
    if kty == "EC" and key.get("crv") != "P-256":
        return f"key {index} must be on curve P-256, not {str(key.get('crv'))[:20]!r}"
    if kty == "RSA":
        modulus = _unpadded_bytes(key.get("n"))
        if modulus is None:
            return f"key {index} has no readable modulus (n)"
        bits = int.from_bytes(modulus, "big").bit_length()
        if bits < MIN_RSA_BITS:
            return f"key {index} is an RSA key of {bits} bits; at least {MIN_RSA_BITS} are needed"
    return None


def public_jwks_problems(jwks: object) -> list[str]:
    """Why `jwks` cannot be a subsystem's keys, one line per problem; empty when it can."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        return ['the public key must be a JWK Set: {"keys": [ ... ]} with at least one key']
    if len(jwks["keys"]) > MAX_KEYS:
        return [f"register at most {MAX_KEYS} keys"]
    if set(jwks) != {"keys"}:
        return ["the JWK Set has members other than keys"]
    problems = [p for i, key in enumerate(jwks["keys"]) if (p := _key_problem(i, key)) is not None]
    if problems:
        return problems
    # Every key is flat text now, so measuring the whole set is safe.
    if len(json.dumps(jwks)) > MAX_JWKS_BYTES:
        return [f"the JWK Set is larger than {MAX_JWKS_BYTES} bytes"]
    kids = [key.get("kid") for key in jwks["keys"] if key.get("kid") is not None]
    if len(kids) != len(set(map(str, kids))):
        problems.append("two keys have the same kid")
    # The provider's own check imports each key, so it runs only on keys of an acceptable shape and size.
    return problems or provider_jwks_problems(jwks)


def parse_jwks_text(text: str) -> tuple[Any, str | None]:
    """A JWK Set pasted or read from a file, not yet checked: the set (one JWK on its own is taken as a
    set of one), or None and why it is not JSON."""
    try:
        loaded = json.loads(text)
    except (ValueError, RecursionError):
        return None, "the public key is not JSON: paste the JWK Set, which starts with {"
    if isinstance(loaded, dict) and "keys" not in loaded and "kty" in loaded:
        loaded = {"keys": [loaded]}
    return loaded, None
