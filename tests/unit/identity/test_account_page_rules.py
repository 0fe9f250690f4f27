"""Rules of the account pages that need no database: where `return_to` may send a browser, the CSRF
token's binding to its cookie, recovery code spelling."""

from __future__ import annotations

import pytest

from govhub.config import Settings
from govhub.identity.accounts import recovery_codes
from govhub.identity.accounts.pages.support import auth_level_or_refuse, return_to_or_default
from govhub.kit import csrf
from govhub.kit.errors import BadRequest


@pytest.mark.parametrize(
    "kept", ["/account", "/authorize?client_id=a&redirect_uri=https%3A%2F%2Fx.example%2Fcb", "/a/b#c"]
)
def test_paths_on_this_site_are_kept(kept: str) -> None:
    assert return_to_or_default(kept) == kept


@pytest.mark.parametrize(
    "refused",
    [
        None,
        "",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "https://evil.example/x",
        "evil",
        "/\tevil",
        "/ok\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
        "/" + "a" * 2001,
        "/caf\u00e9\u2028",
    ],
)
def test_anything_else_means_the_account_page(refused: str | None) -> None:
    assert return_to_or_default(refused) == "/account"


def test_levels() -> None:
    assert auth_level_or_refuse(None) == "Cl"
    assert auth_level_or_refuse("Cl.Cm") == "Cl.Cm"
    with pytest.raises(BadRequest):
        auth_level_or_refuse("Cl.Cm.P2")


def test_the_csrf_token_belongs_to_one_cookie_and_one_key() -> None:
    settings = Settings(_env_file=None)
    other = Settings(_env_file=None, secret_key="another-secret-key-of-enough-length")
    token = csrf.token_for("cookie-one", settings)
    assert token == csrf.token_for("cookie-one", settings)
    assert token != csrf.token_for("cookie-two", settings)
    assert token != csrf.token_for("cookie-one", other)


def test_recovery_codes_are_ten_distinct_and_forgiving_to_type() -> None:
    settings = Settings(_env_file=None)
    codes = recovery_codes.new_codes()
    assert len(set(codes)) == 10
    code = codes[0]
    typed = " " + code.upper().replace("-", " ") + " "
    assert recovery_codes.code_hash(typed, settings) == recovery_codes.code_hash(code, settings)
    assert not recovery_codes.looks_like_one("123456")
    assert not recovery_codes.looks_like_one("abcde-fghi0")  # 0 and i are not in the alphabet
