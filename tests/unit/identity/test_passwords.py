"""Password hashing at OWASP's argon2id parameters, and the length rules of NIST SP 800-63B."""

from __future__ import annotations

from argon2 import PasswordHasher

from govhub.identity.accounts import passwords

GOOD = "correct horse battery staple"


def test_hashes_are_argon2id_at_owasp_parameters() -> None:
    stored = passwords.hash_password(GOOD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(stored, GOOD)
    assert not passwords.verify_password(stored, GOOD.upper())
    assert passwords.hash_password(GOOD) != stored  # a fresh salt each time


def test_no_account_is_refused_after_the_same_work() -> None:
    assert not passwords.verify_password(None, GOOD)
    assert not passwords.verify_password("not a hash", GOOD)


def test_hashes_made_with_other_parameters_are_due_for_rehashing() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(GOOD)
    assert passwords.verify_password(weaker, GOOD)
    assert passwords.needs_rehash(weaker)
    assert not passwords.needs_rehash(passwords.hash_password(GOOD))


def test_length_is_the_rule() -> None:
    assert passwords.password_problems(GOOD) == []
    assert passwords.password_problems("x" * 14) == ["a password needs at least 15 characters"]
    assert passwords.password_problems("x" * 129) == ["a password may have at most 128 characters"]
    assert passwords.password_problems("ünïcödé pässwörd ✓") == []


async def test_hashing_in_the_pool_agrees_with_hashing_here() -> None:
    stored = await passwords.hash_in_thread(GOOD)
    assert passwords.verify_password(stored, GOOD)
    assert await passwords.verify_in_thread(stored, GOOD)
    assert not await passwords.verify_in_thread(stored, GOOD + "!")
    assert not await passwords.verify_in_thread(None, GOOD)
