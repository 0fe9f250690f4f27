"""Logout: what happens to the services a person signed in to when their browser session ends, and the
checks of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

When sessions end (sign out, sign out everywhere, logout started by a service, or timing out: idle or too
old, found by the sweep in `logout_delivery`), every service signed in through them is marked signed out
and, when it registered a `backchannel_logout_uri`, queued a back-channel logout (OpenID Connect
Back-Channel Logout 1.0) that `logout_delivery` sends and retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.authorize.repository import AuthorizeRepository
from govhub.identity.oidc.discovery.keys import KeyRing
from govhub.identity.oidc.errors import INVALID_REQUEST, OAuthError
from govhub.identity.oidc.jose import unverified_parts
from govhub.identity.oidc.logout.repository import EndedClientSession, LogoutRepository
from govhub.identity.oidc.models import LogoutDelivery, RelyingParty
from govhub.kit.clock import utcnow


@dataclass(frozen=True)
class SessionsEnded:
    """What ending some browser sessions did to the services signed in through them."""

    #: Client sessions (one service, one browser session) marked signed out by this call.
    services_signed_out: int = 0
    #: Back-channel logouts queued for them (services that registered a `backchannel_logout_uri`).
    logouts_queued: int = 0


async def sessions_ended(session: AsyncSession, sids: Sequence[str]) -> SessionsEnded:
    """Called when browser sessions end (sign out, sign out everywhere, `/logout`, and the sweep of
    sessions that timed out, `logout_delivery.end_timed_out_sessions`): every service signed in through
    them is marked signed out and, if it registered a back-channel logout URI, owed a logout. This only
    records what is owed, in the caller's transaction; `logout_delivery` signs and sends the tokens, so
    ending a session never waits on a service.

    Safe when two transactions end the same session at once (a sign-out everywhere while a node sweeps,
    two nodes sweeping): a logout is queued only for the client sessions this call's conditional UPDATE
    changed, so each service is owed one logout per session, never two."""
    if not sids:
        return SessionsEnded()
    now = utcnow()
    return await _owed_logouts(session, await LogoutRepository(session).end_client_sessions(sids, now), now)


async def service_signed_out(session: AsyncSession, account_id: int, client_id: str) -> SessionsEnded:
    """The person withdrew a service (`consent.withdraw_service`): every client session of theirs
    with that service ends, and the service is owed a back-channel logout for each, as when the browser
    sessions end; the person stays signed in to govhub and to every other service."""
    now = utcnow()
    ended = await LogoutRepository(session).end_client_sessions_of(account_id, client_id, now)
    return await _owed_logouts(session, ended, now)


async def _owed_logouts(
    session: AsyncSession, ended: Sequence[EndedClientSession], now: datetime
) -> SessionsEnded:
    """Queue a back-channel logout for each client session just ended whose service registered a URI."""
    repository = AuthorizeRepository(session)
    clients = await repository.clients(sorted({client_session.client_id for client_session in ended}))
    queued = 0
    for client_session in ended:
        client = clients.get(client_session.client_id)
        if client is None or not client.backchannel_logout_uri:
            continue
        await repository.add_delivery(
            LogoutDelivery(
                client_id=client.client_id,
                account_id=client_session.account_id,
                sid=client_session.sid,
                uri=client.backchannel_logout_uri,
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
        )
        queued += 1
    return SessionsEnded(services_signed_out=len(ended), logouts_queued=queued)


# --- RP-initiated logout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogoutRequest:
    """A checked RP-initiated logout request: the service it came from (if it said), where to send the
    browser afterwards (already checked against that service's registration) and the `sid` of a valid
    `id_token_hint`."""

    client: RelyingParty | None
    post_logout_redirect_uri: str | None
    state: str | None
    hinted_sid: str | None
    hint_valid: bool


class LogoutRefused(Exception):
    """The logout request cannot be followed; shown on a page, never redirected (no open redirect)."""


#: The JOSE `typ` of our ID tokens (OpenID Connect Core leaves it to the provider; we write "JWT").
ID_TOKEN_TYP = "JWT"  # noqa: S105 (a media type, not a secret)
#: Claims that mark one of our other JWTs, each signed with the same keys as ID tokens: access tokens
#: (RFC 9068: `client_id`, `scope`, the sealed account), logout tokens (`events`), the identity JWT (`vc`)
#: and the gateway's assertion (`xroad_id`, `htm`). None of them is an ID token (RFC 8725 §3.11).
_NOT_ID_TOKEN_CLAIMS = ("client_id", "scope", "gh_acct", "events", "vc", "xroad_id", "htm", "htu")


def _only_id_token(header: dict[str, Any], claims: dict[str, Any], issuer: str) -> None:
    """RP-Initiated Logout §2: the hint is "an ID Token previously issued by the OP". Our access tokens,
    logout tokens, identity JWTs and gateway assertions are signed by the same keys, so the signature alone
    does not say which one was sent: refuse anything whose `typ` or claims are not an ID token's."""
    typ = header.get("typ", ID_TOKEN_TYP)
    if typ != ID_TOKEN_TYP:
        raise LogoutRefused(f"the id_token_hint is not an ID token (its typ is {str(typ)[:40]!r})")
    marked = [name for name in _NOT_ID_TOKEN_CLAIMS if name in claims]
    if marked:
        raise LogoutRefused(
            f"the id_token_hint is not an ID token: it carries {', '.join(marked)}, as another kind of token"
        )
    audiences = _audiences(claims)
    if not audiences or issuer in audiences or not isinstance(claims.get("sub"), str):
        raise LogoutRefused(
            "the id_token_hint is not an ID token: an ID token names a person (sub) and the service it "
            "was issued to (aud)"
        )


async def id_token_claims(db: AsyncSession, keys: KeyRing, token: str, issuer: str) -> dict[str, Any]:
    """The claims of an ID token we issued (RP-Initiated Logout §2: it may have expired). Raises
    `LogoutRefused` when its signature, key or issuer is not ours, or when it is another of our tokens
    (an access token, a logout token, an identity JWT, a gateway assertion)."""
    try:
        header, _ = unverified_parts(token, error=INVALID_REQUEST, what="id_token_hint")
    except OAuthError as error:
        raise LogoutRefused(error.error_description) from None
    kid, alg = header.get("kid"), header.get("alg")
    key = await keys.verification_key(db, kid) if isinstance(kid, str) else None
    if key is None or alg != key.alg:
        raise LogoutRefused("the id_token_hint is not signed by one of this provider's keys")
    try:
        claims = dict(jwt.decode(token, key.key, algorithms=[key.alg]).claims)
    except (JoseError, ValueError):
        raise LogoutRefused("the id_token_hint's signature does not verify") from None
    if claims.get("iss") != issuer:
        raise LogoutRefused("the id_token_hint was issued by another provider")
    _only_id_token(header, claims, issuer)
    return claims


def _audiences(claims: dict[str, Any]) -> list[str]:
    audience = claims.get("aud")
    if isinstance(audience, str):
        return [audience]
    return [a for a in audience if isinstance(a, str)] if isinstance(audience, list) else []


async def check_logout_request(
    db: AsyncSession, keys: KeyRing, issuer: str, parameters: dict[str, str]
) -> LogoutRequest:
    """RP-Initiated Logout 1.0 §2-§3: the hint verified, the client named by `client_id` or the hint's
    audience (and the two agreeing), `post_logout_redirect_uri` exactly one the client registered."""
    repository = AuthorizeRepository(db)
    hint = parameters.get("id_token_hint")
    claims = await id_token_claims(db, keys, hint, issuer) if hint else None
    client_id = parameters.get("client_id")
    if claims is not None:
        audiences = _audiences(claims)
        if client_id and client_id not in audiences:
            raise LogoutRefused("the client_id is not the audience of the id_token_hint")
        client_id = client_id or (audiences[0] if len(audiences) == 1 else None)
    client = await repository.client(client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRefused(f"no service {client_id[:100]!r} is registered here")
    redirect = parameters.get("post_logout_redirect_uri")
    if redirect:
        if client is None:
            raise LogoutRefused(
                "a post_logout_redirect_uri needs the service to be named (client_id or id_token_hint)"
            )
        if redirect not in client.post_logout_redirect_uris:
            raise LogoutRefused(f"{client.name} did not register that address to return to after signing out")
    sid = claims.get("sid") if claims else None
    return LogoutRequest(
        client=client,
        post_logout_redirect_uri=redirect or None,
        state=parameters.get("state") or None,
        hinted_sid=sid if isinstance(sid, str) else None,
        hint_valid=claims is not None,
    )
