"""Accounts: creating them (the sign-up journey and the operator's command), checking a password and a
second factor (an authenticator app's code or a recovery code), enrolling an authenticator app, recovery
codes, and changing a password."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from govhub.config import Settings
from govhub.identity.accounts import passwords, recovery_codes, totp
from govhub.identity.accounts.errors import AccountExists, InvalidAccount
from govhub.identity.accounts.models import IDENTITY_LEVELS, Account, RecoveryCode
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.accounts.secret_box import SecretBox
from govhub.kit.clock import utcnow
from govhub.kit.errors import FieldError

#: Deliberately loose (RFC 5321 addresses are wilder than any pattern): one @, a dot in the domain, no
#: spaces. The verification email is what proves an address.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
#: Longest base32 secret accepted (320 bits); apps use 160.
_MAX_SECRET = 64


def normalised_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    cleaned = normalised_email(email)
    if not cleaned:
        return "enter your email address"
    if not _EMAIL.match(cleaned) or len(cleaned) > 254 or not cleaned.isprintable():
        return "enter an email address like name@example.org"
    return None


def secret_problems(secret: str) -> list[str]:
    if len(secret.replace(" ", "")) > _MAX_SECRET:
        return [f"a TOTP secret has at most {_MAX_SECRET} base32 characters"]
    return totp.secret_problems(secret)


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str
    totp_secret: str | None = None
    identity_level: str = "P0"
    #: Operators creating test users and migrating accounts vouch for the address themselves.
    email_verified: bool = False


@dataclass(frozen=True)
class AccountSummary:
    """What other blocks may know of an account: its ids and address, never its row (`govhub.identity`)."""

    id: int
    #: The account's public id (a UUID), from which pairwise subjects are derived.
    public_id: str
    email: str


def _summary(account: Account | None) -> AccountSummary | None:
    return None if account is None else AccountSummary(account.id, account.public_id, account.email)


async def account_by_email(session: AsyncSession, email: str) -> AccountSummary | None:
    """The account with exactly this address (normalise it first), or None."""
    return _summary(await IdentityRepository(session).account_by_email(email))


async def account_by_id(session: AsyncSession, account_id: int) -> AccountSummary | None:
    return _summary(await IdentityRepository(session).account_by_id(account_id))


async def account_emails(session: AsyncSession, account_ids: Iterable[int]) -> dict[int, str]:
    """The address of each of these accounts that exists, by account id (for other blocks' lists of people:
    the members' platform administrators)."""
    return await IdentityRepository(session).emails_of(account_ids)


class IdentityService:
    def __init__(self, repository: IdentityRepository, settings: Settings) -> None:
        self.repository = repository
        self.settings = settings
        self.box = SecretBox(settings)

    @classmethod
    def for_session(cls, session: AsyncSession, settings: Settings) -> IdentityService:
        return cls(IdentityRepository(session), settings)

    async def create_account(self, new: NewAccount, *, password_hash: str | None = None) -> Account:
        """Makes an account. `password_hash` is given by the sign-up journey, which hashed the password
        when it was chosen (the address is confirmed later)."""
        email = normalised_email(new.email)
        problems = [] if password_hash else passwords.password_problems(new.password)
        errors = [FieldError("body", "/password", problem) for problem in problems]
        if (problem := email_problem(email)) is not None:
            errors.append(FieldError("body", "/email", problem))
        if new.totp_secret is not None:
            errors += [FieldError("body", "/totpSecret", p) for p in secret_problems(new.totp_secret)]
        if new.identity_level not in IDENTITY_LEVELS:
            levels = ", ".join(IDENTITY_LEVELS)
            errors.append(FieldError("body", "/identityLevel", f"the identity level is one of {levels}"))
        if errors:
            raise InvalidAccount("; ".join(error.detail for error in errors) + ".", field_errors=errors)
        if await self.repository.account_by_email(email) is not None:
            raise AccountExists(f"There is already an account for {email}.")
        now = utcnow()
        public_id = str(uuid.uuid4())
        secret = None if new.totp_secret is None else new.totp_secret.replace(" ", "").upper()
        return await self.repository.add_account(
            Account(
                public_id=public_id,
                email=email,
                email_verified_at=now if new.email_verified else None,
                password_hash=password_hash or await passwords.hash_in_thread(new.password),
                totp_secret=None if secret is None else self.box.seal(secret, public_id),
                identity_level=new.identity_level,
                created_at=now,
            )
        )

    async def account_for_sign_in(self, email: str) -> Account | None:
        return await self.repository.account_by_email(normalised_email(email))

    async def password_matches(self, account: Account | None, password: str) -> bool:
        """Whether `password` is the account's (sign-in asks `account_for_sign_in` first). As slow with no
        account as with a wrong password, so timing does not tell which addresses have accounts. A hash
        made with older parameters is replaced (a write)."""
        matched = await passwords.verify_in_thread(account.password_hash if account else None, password)
        if account is None or not matched:
            return False
        if passwords.needs_rehash(account.password_hash):
            account.password_hash = await passwords.hash_in_thread(password)
        return True

    async def set_password(self, account: Account, password: str) -> None:
        account.password_hash = await passwords.hash_in_thread(password)

    # --- the authenticator app ------------------------------------------------------------------------

    def totp_secret_of(self, account: Account) -> str | None:
        return None if account.totp_secret is None else self.box.open(account.totp_secret, account.public_id)

    async def claim_code(self, account: Account, code: str, at: float | None = None) -> bool:
        """Whether `code` is the account's current TOTP code, never used before; marks it used in one
        conditional UPDATE, so two requests racing with the same code cannot both pass."""
        secret = self.totp_secret_of(account)
        step = None if secret is None else totp.matching_step(secret, code, at)
        if step is None or not await self.repository.claim_totp_step(account.id, step):
            return False
        set_committed_value(account, "totp_last_step", step)
        return True

    def enrol_authenticator(self, account: Account, secret: str, code: str, at: float | None = None) -> bool:
        """Enrols `secret` if `code` is its current code (the app was set up right); False otherwise."""
        if secret_problems(secret):
            return False
        cleaned = secret.replace(" ", "").upper()
        step = totp.matching_step(cleaned, code, at)
        if step is None:
            return False
        same_app = self.totp_secret_of(account) == cleaned
        if same_app and account.totp_last_step is not None and step <= account.totp_last_step:
            return False  # a code already used, sent again
        account.totp_secret = self.box.seal(cleaned, account.public_id)
        account.totp_last_step = step
        return True

    # --- recovery codes -------------------------------------------------------------------------------

    async def new_recovery_codes(self, account: Account) -> list[str]:
        """Ten new codes, replacing any the account had; shown once, kept only as keyed hashes."""
        codes = recovery_codes.new_codes()
        now = utcnow()
        await self.repository.replace_recovery_codes(
            account.id,
            [
                RecoveryCode(
                    account_id=account.id,
                    code_hash=recovery_codes.code_hash(code, self.settings),
                    created_at=now,
                )
                for code in codes
            ],
        )
        return codes

    async def use_recovery_code(self, account: Account, code: str) -> bool:
        if not recovery_codes.looks_like_one(code):
            return False
        return await self.repository.use_recovery_code(
            account.id, recovery_codes.code_hash(code, self.settings), utcnow()
        )

    async def recovery_codes_left(self, account: Account) -> int:
        return await self.repository.unused_recovery_codes(account.id)
