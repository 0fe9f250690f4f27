"""The rules of the account pages' journeys: sign in (a password, then a code or a recovery code), sign up
with a confirmed address, password reset by email, setting up an authenticator app, and what the account
page shows. The page handlers parse the form, call one of these and render or redirect; every count of
guesses (`throttle`), every link sent by email (`email_tokens`) and every change to an account or a
session is decided here. Like every service, nothing here commits, except the throttle's count, which must
stand whatever the request does next (`govhub.identity.accounts.throttle`).

A limit reached raises `TooManyAttempts`, which the pages answer with 429."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import email_tokens, mail, passwords, sessions
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.accounts.throttle import (
    CODE_PER_ACCOUNT,
    CODE_PER_CLIENT,
    MAIL_PER_CLIENT,
    MAIL_PER_EMAIL,
    SIGN_IN_PER_CLIENT,
    SIGN_IN_PER_EMAIL,
    Attempt,
    Limit,
    Throttle,
    account_subject,
    email_subject,
)
from govhub.identity.security_keys.models import SecurityKey
from govhub.identity.security_keys.service import SecurityKeys
from govhub.kit.clock import utcnow


@dataclass(frozen=True)
class NewPassword:
    """What choosing a new password from a reset link came to: `link_ok` False when the link cannot be
    used (unknown, used, expired, or its account gone); otherwise `problem` says what is wrong with the
    password, or is None when it is changed."""

    link_ok: bool
    email: str = ""
    problem: str | None = None


def has_authenticator(account: Account) -> bool:
    return account.totp_secret is not None


def must_step_up_to_replace_authenticator(sign_in: SignInSession, account: Account) -> bool:
    """Replacing an app takes the one there is now: a session with one factor steps up first."""
    return account.totp_secret is not None and sign_in.auth_level != "Cl.Cm"


def second_factor_checks(account_id: int, client: str) -> list[tuple[Limit, str]]:
    """The limits on second-factor guesses: codes and security keys count together."""
    return [(CODE_PER_ACCOUNT, account_subject(account_id)), (CODE_PER_CLIENT, client)]


class AccountJourneys:
    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.accounts = IdentityService.for_session(db, settings)
        self.repository = self.accounts.repository
        self.throttle = Throttle(self.repository)

    # --- sign in ----------------------------------------------------------------------------------------

    async def check_password(self, email: str, password: str, client: str) -> Account | None:
        """The account if `password` is its password; None for an unknown address and a wrong password
        alike (the attempt stays counted).

        Counted (and committed) before the password is checked, so concurrent guesses cannot all slip
        under the limit. The hash (about 20 ms) then runs in a thread with no lock held: on SQLite the reads
        here take none (`govhub.db.sqlite_connection`), on PostgreSQL reads never do."""
        checks = [(SIGN_IN_PER_EMAIL, email_subject(email)), (SIGN_IN_PER_CLIENT, client)]
        attempt = await self.throttle.attempt(checks, what="attempts to sign in")
        account = await self.accounts.account_for_sign_in(email)
        if account is None or not await self.accounts.password_matches(account, password):
            return None
        await self.throttle.release(attempt)
        await self.throttle.forget(SIGN_IN_PER_EMAIL, email_subject(email))
        return account

    async def has_security_keys(self, account: Account) -> bool:
        return await SecurityKeys(self.db, self.settings).has_keys(account)

    async def second_factor_attempt(self, account: Account, client: str, *, what: str) -> Attempt:
        """Counts a guess at the second factor (a code or a security key) before it is checked."""
        return await self.throttle.attempt(second_factor_checks(account.id, client), what=what)

    async def second_factor_passed(self, attempt: Attempt, sign_in: SignInSession, account: Account) -> str:
        """The second factor is checked, whichever it was: the session is raised to two factors; its new
        token (the cookie to set)."""
        await self.throttle.release(attempt)
        await self.throttle.forget(CODE_PER_ACCOUNT, account_subject(account.id))
        return sessions.raise_level(sign_in, "Cl.Cm")

    async def check_code(
        self, sign_in: SignInSession, account: Account, code: str, client: str
    ) -> str | None:
        """The session's new token if `code` is the app's current code or an unused recovery code; None
        if it is neither."""
        attempt = await self.second_factor_attempt(account, client, what="codes entered")
        accepted = await self.accounts.claim_code(account, code) or await self.accounts.use_recovery_code(
            account, code
        )
        if not accepted:
            return None
        return await self.second_factor_passed(attempt, sign_in, account)

    # --- password reset ---------------------------------------------------------------------------------

    async def send_password_reset(self, email: str, client: str) -> None:
        """Mails a reset link to `email` (normalised) if it has an account; nothing otherwise, so the
        page tells nobody which addresses have one."""
        checks = [(MAIL_PER_EMAIL, email_subject(email)), (MAIL_PER_CLIENT, client)]
        await self.throttle.attempt(checks, what="emails asked for")
        account = await self.repository.account_by_email(email)
        if account is not None:
            token = await email_tokens.issue(
                self.repository, email_tokens.PASSWORD_RESET, email, account_id=account.id
            )
            url = mail.link(self.settings, "/password-reset/new", token=token)
            await mail.send(self.settings, mail.reset_your_password(self.settings, email, url))

    async def password_reset_email(self, token: str) -> str | None:
        """The address a usable reset link was sent to; None when it cannot be used."""
        row = await email_tokens.usable(self.repository, token, email_tokens.PASSWORD_RESET)
        return None if row is None else row.email

    async def choose_new_password(self, token: str, password: str) -> NewPassword:
        """Sets the password the reset link's account chose, which proves its address, and signs it out
        everywhere: whoever knew the old password holds nothing now."""
        row = await email_tokens.usable(self.repository, token, email_tokens.PASSWORD_RESET)
        account = (
            None
            if row is None or row.account_id is None
            else await self.repository.account_by_id(row.account_id)
        )
        if row is None or account is None:
            return NewPassword(link_ok=False)
        problems = passwords.password_problems(password) if password else ["enter a new password"]
        if problems:
            return NewPassword(link_ok=True, email=row.email, problem=problems[0])
        if not await email_tokens.use(self.repository, row):
            return NewPassword(link_ok=False)
        await self.accounts.set_password(account, password)
        if account.email_verified_at is None:
            account.email_verified_at = row.created_at  # the link reached the mailbox: the address is proved
        await sessions.end_every_session(self.db, account.id, self.settings)
        await self.throttle.forget(SIGN_IN_PER_EMAIL, email_subject(account.email))
        return NewPassword(link_ok=True, email=row.email)

    # --- sign up ----------------------------------------------------------------------------------------

    async def start_sign_up(self, email: str, password: str, return_to: str, client: str) -> None:
        """Mails a link to confirm `email` (normalised), carrying the password's hash; no account is made
        until the address is confirmed. An address with an account is told so instead, and the page says
        the same either way."""
        checks = [(MAIL_PER_EMAIL, email_subject(email)), (MAIL_PER_CLIENT, client)]
        await self.throttle.attempt(checks, what="emails asked for")
        # Hashed whether or not the address has an account, so the time taken does not tell.
        password_hash = await passwords.hash_in_thread(password)
        if await self.repository.account_by_email(email) is not None:
            await mail.send(self.settings, mail.already_have_an_account(self.settings, email))
            return
        token = await email_tokens.issue(
            self.repository, email_tokens.SIGN_UP, email, password_hash=password_hash
        )
        url = mail.link(self.settings, "/sign-up/verify", token=token, return_to=return_to)
        await mail.send(self.settings, mail.confirm_your_address(self.settings, email, url))

    async def sign_up_link_usable(self, token: str) -> bool:
        return await email_tokens.usable(self.repository, token, email_tokens.SIGN_UP) is not None

    async def finish_sign_up(self, token: str) -> Account | None:
        """The new account, its address confirmed by the link; None when the link cannot be used. Raises
        `AccountExists` when the address was confirmed already (two sign-ups, two links)."""
        row = await email_tokens.usable(self.repository, token, email_tokens.SIGN_UP)
        if row is None or row.password_hash is None or not await email_tokens.use(self.repository, row):
            return None
        return await self.accounts.create_account(
            NewAccount(row.email, "", email_verified=True), password_hash=row.password_hash
        )

    # --- the authenticator app and recovery codes -------------------------------------------------------

    async def enrol_authenticator(
        self, sign_in: SignInSession, account: Account, secret: str, code: str, client: str
    ) -> tuple[str, list[str]] | None:
        """Enrols the app if `code` is its current code: the session is raised to two factors and the
        account gets new recovery codes; (the session's new token, the codes). None if the code is not
        right."""
        attempt = await self.throttle.attempt(second_factor_checks(account.id, client), what="codes entered")
        if not self.accounts.enrol_authenticator(account, secret, code):
            return None
        await self.throttle.release(attempt)
        await self.throttle.forget(CODE_PER_ACCOUNT, account_subject(account.id))
        token = sessions.raise_level(sign_in, "Cl.Cm")
        return token, await self.accounts.new_recovery_codes(account)

    async def new_recovery_codes(self, account: Account) -> list[str]:
        return await self.accounts.new_recovery_codes(account)

    # --- the account page -------------------------------------------------------------------------------

    async def live_sessions(self, account_id: int) -> list[SignInSession]:
        """The account's sessions still in use (not idle too long), most recently seen first."""
        now = utcnow()
        return [
            live
            for live in await self.repository.sessions_of(account_id, now)
            if live.last_seen_at + sessions.IDLE_TIMEOUT > now
        ]

    async def security_keys_of(self, account: Account) -> list[SecurityKey]:
        return await SecurityKeys(self.db, self.settings).keys_of(account)

    async def recovery_codes_left(self, account: Account) -> int:
        return await self.accounts.recovery_codes_left(account)

    async def sign_out_device(self, account_id: int, sid: str) -> None:
        """Ends one of the account's own sessions: a sid of someone else's is not found, and nothing
        happens."""
        if sid in await self.repository.all_session_sids(account_id):
            await sessions.end_sessions(self.db, [sid])
