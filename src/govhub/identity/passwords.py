"""Passwords: argon2id at OWASP's recommended parameters, and the rules a new password must meet.

OWASP's Password Storage Cheat Sheet: argon2id with 19 MiB of memory, 2 iterations, 1 degree of
parallelism. NIST SP 800-63B: length, not composition rules; at least 15 characters where a password is
the only factor, which is how an account may be used at `Cl`; up to 128 here, all of Unicode allowed.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 15
MAX_LENGTH = 128

#: OWASP: m=19 MiB, t=2, p=1. A stored hash made with other parameters is re-hashed at the next sign-in.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)


@cache
def _decoy() -> str:
    """Verified when there is no such account, so a missing account costs as long as a wrong password.
    Made on first use: every `govhub` command imports this module, few check a password."""
    return HASHER.hash("decoy password for accounts that do not exist")


def password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"a password may have at most {MAX_LENGTH} characters")
    if "\x00" in password:
        problems.append("a password may not contain the NUL character")
    return problems


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with `stored` None (no account), the same work, then False."""
    try:
        return HASHER.verify(stored or _decoy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)
