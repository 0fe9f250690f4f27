"""A subsystem's public keys: a JWK Set of EC P-256 or RSA (at least 2048 bits) signing keys, public only,
checked before anything is kept."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc import jwk

from govhub.members.membership.keys import MAX_KEYS, parse_jwks_text, public_jwks_problems


def _ec(**extra: str) -> dict[str, Any]:
    key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    return {**key.as_dict(private=False), "use": "sig", **extra}


def _rsa_public(bits: int) -> dict[str, str]:
    """An RSA public JWK of `bits` bits, made by hand: joserfc warns on generating a weak key."""
    modulus = (1 << (bits - 1)) | 1
    n = base64.urlsafe_b64encode(modulus.to_bytes((bits + 7) // 8, "big")).rstrip(b"=").decode()
    return {"kty": "RSA", "n": n, "e": "AQAB", "use": "sig"}


def test_an_ec_p256_key_and_an_rsa_2048_key_are_accepted() -> None:
    rsa = jwk.RSAKey.generate_key(2048, private=True, auto_kid=True)
    jwks = {"keys": [_ec(alg="ES256"), {**rsa.as_dict(private=False), "alg": "PS256"}]}
    assert public_jwks_problems(jwks) == []


@pytest.mark.parametrize(
    ("jwks", "problem"),
    [
        (None, "must be a JWK Set"),
        ([], "must be a JWK Set"),
        ({"keys": []}, "must be a JWK Set"),
        ({"keys": "abc"}, "must be a JWK Set"),
        ({"keys": ["abc"]}, "key 0 is not a JSON object"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "EC key on P-256 or an RSA key"),
        ({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "abc"}]}, "EC key on P-256 or an RSA key"),
        ({"keys": [{"kty": "EC", "crv": "P-384", "x": "a", "y": "b"}]}, "must be on curve P-256"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": 1, "y": "b"}]}, "holds something other than text"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": {"a": "b"}, "y": "b"}]}, "other than text"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "kid": "a\x00b"}]}, "control characters"),
        ({"keys": [{"kty": "RSA", "e": "AQAB"}]}, "no readable modulus"),
        ({"keys": [{"kty": "RSA", "n": "!!!", "e": "AQAB"}]}, "no readable modulus"),
        (
            {"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}], "other": "x"},
            "members other than keys",
        ),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "use": "enc"}]}, "use 'enc'"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}, "is not a valid JWK"),
    ],
)
def test_unusable_key_sets_are_refused_saying_why(jwks: object, problem: str) -> None:
    problems = public_jwks_problems(jwks)
    assert problems
    assert problem in " ".join(problems)


def test_an_rsa_key_under_2048_bits_is_refused_before_it_is_imported() -> None:
    assert public_jwks_problems({"keys": [_rsa_public(1024)]}) == [
        "key 0 is an RSA key of 1024 bits; at least 2048 are needed"
    ]


def test_private_key_material_is_refused() -> None:
    key = jwk.ECKey.generate_key("P-256", private=True)
    problems = public_jwks_problems({"keys": [key.as_dict(private=True)]})
    assert problems == [
        (
            "key 0 contains private key material (d): register the public key only, and keep the private "
            "key to yourself"
        )
    ]


def test_an_alg_that_does_not_fit_the_key_is_refused() -> None:
    assert public_jwks_problems({"keys": [_ec(alg="RS256")]}) == [
        "key 0 is an EC key, so its alg is one of ES256"
    ]


def test_too_many_keys_and_repeated_kids_are_refused() -> None:
    assert public_jwks_problems({"keys": [_ec() for _ in range(MAX_KEYS + 1)]}) == [
        f"register at most {MAX_KEYS} keys"
    ]
    assert public_jwks_problems({"keys": [_ec(kid="same"), _ec(kid="same")]}) == [
        "two keys have the same kid"
    ]


def test_pasted_text_is_parsed_and_one_jwk_is_taken_as_a_set() -> None:
    key = _ec()
    assert parse_jwks_text('{"keys": []}') == ({"keys": []}, None)
    single, problem = parse_jwks_text(json.dumps(key))
    assert (single, problem) == ({"keys": [key]}, None)
    assert parse_jwks_text("-----BEGIN PUBLIC KEY-----")[1] == (
        "the public key is not JSON: paste the JWK Set, which starts with {"
    )
    assert parse_jwks_text("[" * 100_000)[1] is not None
