"""The hand-rolled ES256 fast path agrees with joserfc both ways and refuses what it must."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwk, jwt

from govhub.identity.oidc.jose import b64url, es256_sign, es256_verifies


def _key() -> jwk.ECKey:
    return jwk.ECKey.generate_key("P-256", private=True)


def test_tokens_signed_here_verify_with_joserfc() -> None:
    key = _key()
    assert key.private_key is not None
    token = es256_sign(key.private_key, {"alg": "ES256", "typ": "at+jwt"}, {"sub": "zoë", "n": 1})
    decoded = jwt.decode(token, key, algorithms=["ES256"])
    assert decoded.claims == {"sub": "zoë", "n": 1}
    assert decoded.header["typ"] == "at+jwt"


def test_tokens_signed_by_joserfc_verify_here() -> None:
    key = _key()
    token = jwt.encode({"alg": "ES256"}, {"iss": "client"}, key)
    assert es256_verifies(key.public_key, token)


def test_a_changedpayload_another_key_or_a_bad_signature_does_not_verify() -> None:
    key, other = _key(), _key()
    token = jwt.encode({"alg": "ES256"}, {"iss": "client"}, key)
    header, payload, signature = token.split(".")
    forged_claims = b64url(json.dumps({"iss": "admin"}).encode())
    tampered = f"{header}.{forged_claims}.{signature}"
    assert not es256_verifies(key.public_key, tampered)
    assert not es256_verifies(other.public_key, token)
    assert not es256_verifies(key.public_key, f"{header}.{payload}.{signature[:-4]}")
    assert not es256_verifies(key.public_key, f"{header}.{payload}.")
    assert not es256_verifies(key.public_key, f"{header}.{payload}.***")


def test_a_key_on_another_curve_is_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    token = jwt.encode({"alg": "ES256"}, {"iss": "client"}, _key())
    assert not es256_verifies(p384.public_key(), token)
