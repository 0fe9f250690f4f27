"""Browser sessions, kept server-side in `identity_sessions`.

The cookie holds only a random token; the table holds its SHA-256, so a copy of the database signs nobody
in. Every sign-in makes a new session (new token, new `sid`) and every step-up to two factors a new token,
so a cookie planted in a browser before it signs in is worth nothing afterwards (session fixation, OWASP
Session Management Cheat Sheet). A session ends after `IDLE_TIMEOUT` without use or `ABSOLUTE_TIMEOUT`
after it began, whichever is first.

The `sid` is kept through a step-up: it is the id services signed in through this session know it by
(ID tokens, back-channel logout), and the same browser session going on at a higher level is still the
session they were signed in through.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from govhub.config import Settings
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.accounts.signed_in import SignedIn
from govhub.identity.oidc.logout import service as logout
from govhub.identity.oidc.tokens import revocation
from govhub.kit import cookies
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest

COOKIE = "govhub_session"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: Between the password and the second factor.
AWAITING_CODE_TIMEOUT = timedelta(minutes=10)
#: `last_seen_at` is written at most this often, not on every request.
_SEEN_RESOLUTION = timedelta(minutes=1)
#: "Cl" or "Cl.Cm"; None while the second factor is awaited.
AuthLevel = str | None


def _client(request: Request) -> tuple[str, str]:
    user_agent = request.headers.get("user-agent", "")[:300]
    address = request.client.host if request.client else ""
    return user_agent, address[:45]


async def current_session(request: Request, db: AsyncSession) -> tuple[SignInSession, Account] | None:
    """This browser's live session and its account, including one still awaiting the second factor."""
    settings: Settings = request.app.state.settings
    token = cookies.read_cookie(request, COOKIE, settings)
    if not token or len(token) > 100:
        return None
    found = await IdentityRepository(db).session_with_account(secret_digest(token))
    if found is None:
        return None
    sign_in, account = found
    now = utcnow()
    if sign_in.expires_at <= now or sign_in.last_seen_at + IDLE_TIMEOUT <= now:
        return None
    if sign_in.auth_level is None and sign_in.created_at + AWAITING_CODE_TIMEOUT <= now:
        return None
    if now - sign_in.last_seen_at >= _SEEN_RESOLUTION:
        await IdentityRepository(db).mark_session_seen(sign_in, now)
    return sign_in, account


async def current_sign_in(request: Request, db: AsyncSession) -> SignedIn | None:
    """Who is signed in on this browser, and how; None when nobody is, or only half-way (awaiting the
    second factor)."""
    found = await current_session(request, db)
    if found is None:
        return None
    sign_in, account = found
    if sign_in.auth_level is None:
        return None
    return SignedIn(
        account_id=account.id,
        account_public_id=account.public_id,
        email=account.email,
        sid=sign_in.sid,
        auth_level=sign_in.auth_level,
        identity_level=account.identity_level,
        authenticated_at=sign_in.authenticated_at,
    )


async def begin(request: Request, db: AsyncSession, account: Account, auth_level: AuthLevel) -> str:
    """A new session for `account` (new token, new sid), ending whatever session this browser had; the
    token to set as the cookie."""
    repository = IdentityRepository(db)
    previous = await current_session(request, db)
    now = utcnow()
    # This browser's session, and the account's sessions that ran out: their rows go now, and services
    # signed in through them are told.
    ended = await repository.ended_session_sids(account.id, now, now - IDLE_TIMEOUT)
    await end_sessions(db, ([previous[0].sid] if previous is not None else []) + ended)
    token = secrets.token_urlsafe(32)
    user_agent, address = _client(request)
    await repository.add_session(
        SignInSession(
            sid=secrets.token_urlsafe(32),
            token_hash=secret_digest(token),
            account_id=account.id,
            auth_level=auth_level,
            created_at=now,
            authenticated_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
            user_agent=user_agent,
            ip_address=address,
        )
    )
    return token


def raise_level(sign_in: SignInSession, auth_level: str) -> str:
    """The session, now at `auth_level` (a second factor checked), gets a new token; the new cookie value."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    sign_in.token_hash = secret_digest(token)
    sign_in.auth_level = auth_level
    sign_in.authenticated_at = now
    sign_in.last_seen_at = now
    return token


async def end_sessions(db: AsyncSession, sids: Sequence[str]) -> None:
    """Ends these sessions, and tells the services signed in through them (back-channel logout)."""
    if not sids:
        return
    await IdentityRepository(db).delete_sessions(sids)
    await logout.sessions_ended(db, list(sids))


async def end_every_session(db: AsyncSession, account_id: int, settings: Settings) -> None:
    """Sign out everywhere: every session of the account, on every device, and every service's standing
    access (refresh tokens, and the access tokens that may still be live), so that whoever held any of them
    holds nothing now. Password reset does the same."""
    await end_sessions(db, await IdentityRepository(db).all_session_sids(account_id))
    await revocation.revoke_person_tokens(db, settings, account_id, utcnow())


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    # No Max-Age: a browser session cookie, gone when the browser closes; the server ends it sooner.
    cookies.set_cookie(response, COOKIE, token, settings, max_age=None)


def clear_cookie(response: Response, settings: Settings) -> None:
    cookies.clear_cookie(response, COOKIE, settings)
