"""TOTP against the RFCs' own test vectors, and the rules around a code: the window, and no reuse."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

from govhub.identity.accounts import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def test_hotp_matches_rfc_4226_appendix_d() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871"]
    assert [totp.hotp(b"12345678901234567890", counter) for counter in range(9)] == expected


def test_totp_matches_rfc_6238_appendix_b_for_sha1() -> None:
    vectors = {59: "94287082", 1111111109: "07081804", 1111111111: "14050471", 1234567890: "89005924"}
    key = b"12345678901234567890"
    for moment, code in vectors.items():
        assert totp.hotp(key, moment // 30, digits=8) == code
    assert totp.totp(RFC_SECRET, 59) == "287082"


def test_a_code_matches_within_one_step_either_side() -> None:
    code = totp.totp(RFC_SECRET, 1_000_000)
    step = 1_000_000 // 30
    assert totp.matching_step(RFC_SECRET, code, 1_000_000) == step
    assert totp.matching_step(RFC_SECRET, code, 1_000_000 + 30) == step
    assert totp.matching_step(RFC_SECRET, code, 1_000_000 - 30) == step
    assert totp.matching_step(RFC_SECRET, code, 1_000_000 + 90) is None
    assert totp.matching_step(RFC_SECRET, code[:3] + " " + code[3:], 1_000_000) == step
    for wrong in ["", "12345", "1234567", "abcdef", "000000" if code != "000000" else "111111"]:
        assert totp.matching_step(RFC_SECRET, wrong, 1_000_000) is None


def test_secrets_are_base32_with_enough_bits() -> None:
    made = totp.new_secret()
    assert len(base64.b32decode(made + "=" * (-len(made) % 8))) == 20
    assert totp.secret_problems(made) == []
    assert totp.secret_problems(made.lower()) == []
    assert totp.secret_problems("not base32!") != []
    assert totp.secret_problems("JBSWY3DP") != []  # 40 bits


def test_the_provisioning_uri_is_what_authenticator_apps_read() -> None:
    uri = urlparse(totp.provisioning_uri(RFC_SECRET, "ann@example.org", "govhub"))
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/govhub%3Aann%40example.org")
    assert parse_qs(uri.query) == {
        "secret": [RFC_SECRET],
        "issuer": ["govhub"],
        "digits": ["6"],
        "period": ["30"],
    }
