"""Accounts: creating them (the operator's command now; the sign-up journey later) and checking a password
and a one-time code."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity import passwords, totp
from govhub.identity.errors import AccountExists, InvalidAccount
from govhub.identity.models import IDENTITY_LEVELS, Account
from govhub.identity.repository import IdentityRepository
from govhub.kit.clock import utcnow
from govhub.kit.errors import FieldError

#: Deliberately loose (RFC 5321 addresses are wilder than any pattern): one @, a dot in the domain, no
#: spaces. The verification email is what proves an address.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str
    totp_secret: str | None = None
    identity_level: str = "P0"
    #: Operators creating test users and migrating accounts vouch for the address themselves.
    email_verified: bool = False


class IdentityService:
    def __init__(self, repository: IdentityRepository) -> None:
        self.repository = repository

    @classmethod
    def for_session(cls, session: AsyncSession) -> IdentityService:
        return cls(IdentityRepository(session))

    async def create_account(self, new: NewAccount) -> Account:
        email = new.email.strip().lower()
        errors = [
            FieldError("body", "/password", problem) for problem in passwords.password_problems(new.password)
        ]
        if not _EMAIL.match(email) or len(email) > 254:
            errors.append(FieldError("body", "/email", "enter an email address like name@example.org"))
        if new.totp_secret is not None:
            errors += [FieldError("body", "/totpSecret", p) for p in totp.secret_problems(new.totp_secret)]
        if new.identity_level not in IDENTITY_LEVELS:
            levels = ", ".join(IDENTITY_LEVELS)
            errors.append(FieldError("body", "/identityLevel", f"the identity level is one of {levels}"))
        if errors:
            raise InvalidAccount("; ".join(error.detail for error in errors) + ".", field_errors=errors)
        if await self.repository.account_by_email(email) is not None:
            raise AccountExists(f"There is already an account for {email}.")
        now = utcnow()
        secret = None if new.totp_secret is None else new.totp_secret.replace(" ", "").upper()
        return await self.repository.add_account(
            Account(
                public_id=str(uuid.uuid4()),
                email=email,
                email_verified_at=now if new.email_verified else None,
                password_hash=passwords.hash_password(new.password),
                totp_secret=secret,
                identity_level=new.identity_level,
                created_at=now,
            )
        )

    async def check_password(self, email: str, password: str) -> Account | None:
        """The account if `password` is its password. As slow for an unknown address as for a wrong
        password, so timing does not tell which addresses have accounts. A hash made with older parameters
        is replaced."""
        account = await self.repository.account_by_email(email.strip().lower())
        matched = passwords.verify_password(account.password_hash if account else None, password)
        if account is None or not matched:
            return None
        if passwords.needs_rehash(account.password_hash):
            account.password_hash = passwords.hash_password(password)
        return account

    @staticmethod
    def check_code(account: Account, code: str, at: float | None = None) -> bool:
        """Whether `code` is the account's current TOTP code, not used before; marks it used."""
        if account.totp_secret is None:
            return False
        step = totp.matching_step(account.totp_secret, code, at)
        if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
            return False
        account.totp_last_step = step
        return True
