"""Small JOSE helpers shared by client authentication, DPoP and token checks."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from govhub.identity.oidc.errors import OAuthError


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256_b64url(text: str) -> str:
    return b64url(hashlib.sha256(text.encode("ascii", "replace")).digest())


def unverified_parts(token: str, *, error: str, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, read before its signature is checked, to find the key
    that checks it. Nothing read here is trusted until then."""
    parts = token.split(".")
    if len(parts) != 3:  # header.payload.signature
        raise OAuthError(error, f"the {what} is not a signed JWT (header.payload.signature)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise OAuthError(
            error, f"the {what} is not a JWT: its header or claims are not base64url JSON"
        ) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OAuthError(error, f"the {what}'s header and claims must be JSON objects")
    return header, claims


# --- ES256 on the hot path ------------------------------------------------------------------------------
# The token endpoint checks one ES256 assertion and signs one ES256 token per client_credentials grant.
# Through joserfc each costs about twice the elliptic-curve operation itself (JSON and registry work), so
# these two do RFC 7515 §5 / RFC 7518 §3.4 directly with `cryptography`; every other JOSE operation, and
# every other algorithm, goes through joserfc.

_P256_SIGNATURE_BYTES = 64


def _json_b64(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def es256_sign(
    private_key: ec.EllipticCurvePrivateKey, header: dict[str, Any], claims: dict[str, Any]
) -> str:
    """A compact JWS (RFC 7515 §7.1) signed ES256: the signature is R || S, 32 bytes each (RFC 7518 §3.4)."""
    signing_input = f"{_json_b64(header)}.{_json_b64(claims)}"
    r, s = decode_dss_signature(private_key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def es256_verifies(public_key: ec.EllipticCurvePublicKey, token: str) -> bool:
    """Whether the compact JWS `token` carries a valid ES256 signature by `public_key` (a P-256 key). The
    caller has already read `alg: ES256` from the header and chosen the key by it."""
    if not isinstance(public_key.curve, ec.SECP256R1):
        return False
    signing_input, _, signature = token.rpartition(".")
    try:
        raw = b64url_decode(signature)
    except ValueError:
        return False
    if len(raw) != _P256_SIGNATURE_BYTES:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public_key.verify(der, signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, UnicodeEncodeError):
        return False
    return True
