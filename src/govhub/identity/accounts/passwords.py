"""Passwords: argon2id at OWASP's recommended parameters, and the rules a new password must meet.

OWASP's Password Storage Cheat Sheet: argon2id with 19 MiB of memory, 2 iterations, 1 degree of
parallelism. NIST SP 800-63B: length, not composition rules; at least 15 characters where a password is
the only factor, which is how an account may be used at `Cl`; up to 128 here, all of Unicode allowed.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
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


# --- off the event loop ---------------------------------------------------------------------------------
# One argon2id hash holds a core for about 20 ms. argon2-cffi releases the GIL while it hashes, so in a
# thread it runs beside the event loop, which serves other requests meanwhile; on the loop it would stall
# every request in flight. A pool of its own, one thread per core, bounds the memory (19 MiB a hash) and
# never takes the threads that Starlette's sync endpoints use.


@cache
def _hashing_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="argon2id")


async def hash_in_thread(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), hash_password, password)


async def verify_in_thread(stored: str | None, password: str) -> bool:
    """`verify_password` in the hashing pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_hashing_pool(), verify_password, stored, password)
