"""The authorization endpoint's rules (OpenID Connect Core §3.1.2, RFC 6749 §4.1, RFC 7636, RFC 9126,
RFC 9207): checking a request, keeping it server-side while the browser signs in, steps up, proves its
identity and consents, then issuing the code.

The browser carries only an unguessable `request_uri` handle between steps; the parameters stay in
`oidc_authorization_requests`. Until the client and its redirect URI are verified, nothing is sent to the
redirect URI (`UnverifiedRequest`, shown as a page); afterwards every error goes back to the client as
RFC 6749 §4.1.2.1 says, with `state` and `iss` (RFC 9207).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.signed_in import SignedIn, prove_identity_url, sign_in_url
from govhub.identity.oidc import errors
from govhub.identity.oidc.authorize.repository import AuthorizeRepository
from govhub.identity.oidc.clients.service import OFFLINE_ACCESS, PERSON_SCOPES, find_client
from govhub.identity.oidc.consent.service import Consents, needing_consent
from govhub.identity.oidc.errors import OAuthError
from govhub.identity.oidc.levels import LevelError, LevelRequest, Step, next_step, requested_levels
from govhub.identity.oidc.models import AuthorizationCode, ClientSession, PendingAuthorization, RelyingParty
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest

#: RFC 9126 §2.2: a pushed request is used within this many seconds, once.
PUSHED_REQUEST_SECONDS = 60
#: A journey through sign-in, step-up, proving and consent may take this long.
JOURNEY_SECONDS = 30 * 60
#: Authorization codes are short-lived (RFC 6749 §4.1.2 recommends at most ten minutes).
CODE_SECONDS = 60
PAR_URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
CONTINUE_PATH = "/authorize/continue"
CONSENT_PATH = "/authorize/consent"
PROMPTS = ("none", "login", "consent", "select_account")
#: Pages that take a decision (consent, sign out, withdraw) are never cached. Like every page, they are
#: never shown inside another site's frame (clickjacking: a hidden consent page under a decoy button):
#: `govhub.kit.security_headers` sends `frame-ancestors 'none'` and `X-Frame-Options: DENY` on them all.
DECISION_PAGE_HEADERS = {"Cache-Control": "no-store"}

#: Parameters longer than this are refused before anything else looks at them.
MAX_PARAMETER = 4000


def single_values(items: Iterable[tuple[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """RFC 6749 §3.1: a parameter sent twice is an error. The values, and the names sent twice."""
    values: dict[str, str] = {}
    repeated: list[str] = []
    for name, value in items:
        if not isinstance(value, str):
            continue
        if name in values:
            repeated.append(name)
        values[name] = value[: MAX_PARAMETER + 1]
    return values, repeated


_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_JKT = re.compile(r"^[A-Za-z0-9_-]{43}$")
_MAX_STATE = 500
_MAX_NONCE = 500
_MAX_CLAIMS = 4000


class UnverifiedRequest(Exception):
    """The client or its redirect URI could not be verified: say so on a page, never redirect
    (RFC 6749 §4.1.2.1, RFC 9700 §4.1)."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail


def with_query(uri: str, parameters: Mapping[str, str | None]) -> str:
    """`uri` with `parameters` added to whatever query it already has (OAuth 2.0 §3.1.2 keeps it)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in parameters.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class ClientError:
    """An error to send back to the verified redirect URI."""

    redirect_uri: str
    error: str
    description: str
    state: str | None

    def url(self, issuer: str) -> str:
        return with_query(
            self.redirect_uri,
            {"error": self.error, "error_description": self.description, "state": self.state, "iss": issuer},
        )


# --- checking a request -------------------------------------------------------------------------------


def _one(parameters: Mapping[str, str], name: str) -> str | None:
    value = parameters.get(name)
    return value if value not in (None, "") else None


def verified_client(client: RelyingParty | None, client_id: str | None) -> RelyingParty:
    """`client` if it is registered, enabled and signs people in."""
    if not client_id:
        raise UnverifiedRequest(
            "The service's request is incomplete",
            "The request does not say which service sent it (client_id).",
        )
    if client is None or client.disabled_at is not None:
        raise UnverifiedRequest(
            "The service is not recognised",
            f"No service {client_id[:100]!r} is registered to sign people in here, or it has been "
            "switched off.",
        )
    if "authorization_code" not in client.grant_types:
        raise UnverifiedRequest(
            "The service is not recognised", f"{client.name} does not sign people in here."
        )
    return client


def verified_redirect(client: RelyingParty | None, client_id: str | None, redirect_uri: str | None) -> str:
    """The redirect URI, if `client` may be sent back to it: registered, enabled, an exact match."""
    client = verified_client(client, client_id)
    if not redirect_uri:
        raise UnverifiedRequest(
            "The service's request is incomplete",
            "The request does not say where to return to (redirect_uri).",
        )
    if redirect_uri not in client.redirect_uris:
        # RFC 9700 §4.1.3: exact string comparison, nothing else.
        raise UnverifiedRequest(
            "The service's request cannot be used",
            f"The address {client.name} asked to return to is not one it registered. You have not been "
            "signed in or sent anywhere. Go back to the service and try again.",
        )
    return redirect_uri


def _scopes(text: str | None, client: RelyingParty) -> list[str]:
    if not text:
        raise OAuthError(errors.INVALID_SCOPE, "scope is missing; it must include openid")
    scopes = list(dict.fromkeys(text.split()))
    if "openid" not in scopes:
        raise OAuthError(errors.INVALID_SCOPE, "scope must include openid")
    # Scopes a person signs in to a service with; machine scopes belong to `client_credentials`.
    unknown = [s for s in scopes if s not in PERSON_SCOPES]
    if unknown:
        raise OAuthError(
            errors.INVALID_SCOPE,
            f"unknown scope {' '.join(unknown)}; offered: {' '.join(PERSON_SCOPES)}",
        )
    refused = [s for s in scopes if s not in client.allowed_scopes and s != "openid"]
    if refused:
        raise OAuthError(
            errors.INVALID_SCOPE, f"this service is not registered for the scope {' '.join(refused)}"
        )
    return scopes


def _pkce(parameters: Mapping[str, str]) -> str:
    """RFC 7636, S256 only (RFC 9700 §2.1.1): `plain` would let a stolen code be redeemed."""
    challenge = _one(parameters, "code_challenge")
    method = _one(parameters, "code_challenge_method")
    if challenge is None:
        raise OAuthError(errors.INVALID_REQUEST, "code_challenge is required (PKCE, RFC 7636, with S256)")
    if method != "S256":
        raise OAuthError(
            errors.INVALID_REQUEST,
            f"code_challenge_method must be S256, not {(method or 'missing (which means plain)')[:20]}",
        )
    if not _CODE_CHALLENGE.match(challenge):
        raise OAuthError(
            errors.INVALID_REQUEST, "code_challenge must be a base64url SHA-256 hash, 43 characters"
        )
    return challenge


def _prompt(text: str | None) -> list[str]:
    prompts = list(dict.fromkeys((text or "").split()))
    unknown = [p for p in prompts if p not in PROMPTS]
    if unknown:
        raise OAuthError(
            errors.INVALID_REQUEST, f"prompt {' '.join(unknown)} unknown; use {', '.join(PROMPTS)}"
        )
    if "none" in prompts and len(prompts) > 1:
        raise OAuthError(errors.INVALID_REQUEST, "prompt=none cannot be combined with other values")
    return prompts


def _max_age(text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise OAuthError(errors.INVALID_REQUEST, "max_age must be a whole number of seconds")
    return int(text)


def _claims(text: str | None) -> dict[str, Any] | None:
    """OpenID Connect Core §5.5: a JSON object with `userinfo` and/or `id_token` members."""
    if text is None:
        return None
    if len(text) > _MAX_CLAIMS:
        raise OAuthError(errors.INVALID_REQUEST, f"claims is longer than {_MAX_CLAIMS} characters")
    try:
        value = json.loads(text)
    except ValueError:
        raise OAuthError(errors.INVALID_REQUEST, "claims must be a JSON object") from None
    if not isinstance(value, dict) or set(value) - {"userinfo", "id_token"}:
        raise OAuthError(
            errors.INVALID_REQUEST, "claims must be a JSON object with userinfo and/or id_token members"
        )
    if not all(isinstance(member, dict) for member in value.values()):
        raise OAuthError(errors.INVALID_REQUEST, "claims members must be JSON objects naming claims")
    return value


def check_parameters(client: RelyingParty, parameters: Mapping[str, str]) -> dict[str, Any]:
    """Everything but the client and redirect URI (checked first, by `verified_redirect`): the parameters
    to keep for the journey. Raises `OAuthError`."""
    if _one(parameters, "request") is not None:
        raise OAuthError(
            errors.REQUEST_NOT_SUPPORTED, "request objects are not supported; push the request (PAR) instead"
        )
    if _one(parameters, "registration") is not None:
        raise OAuthError(errors.REGISTRATION_NOT_SUPPORTED, "the registration parameter is not supported")
    response_type = _one(parameters, "response_type")
    if response_type != "code":
        raise OAuthError(
            errors.UNSUPPORTED_RESPONSE_TYPE,
            f"response_type must be code (authorization code flow), not {(response_type or 'missing')[:20]}",
        )
    response_mode = _one(parameters, "response_mode")
    if response_mode not in (None, "query"):
        raise OAuthError(errors.INVALID_REQUEST, "response_mode must be query")
    state = _one(parameters, "state")
    nonce = _one(parameters, "nonce")
    if state is None or len(state) > _MAX_STATE:
        raise OAuthError(errors.INVALID_REQUEST, f"state is required, at most {_MAX_STATE} characters")
    if nonce is None or len(nonce) > _MAX_NONCE:
        raise OAuthError(errors.INVALID_REQUEST, f"nonce is required, at most {_MAX_NONCE} characters")
    scopes = _scopes(_one(parameters, "scope"), client)
    challenge = _pkce(parameters)
    try:
        levels = requested_levels(
            _one(parameters, "vtr"), _one(parameters, "acr_values"), client.allowed_levels
        )
    except LevelError as error:
        raise OAuthError(errors.INVALID_REQUEST, str(error)) from None
    if "identity" in scopes and not levels.wants_identity:
        raise OAuthError(
            errors.INVALID_SCOPE,
            "the identity scope needs a proven identity: ask for the level Cl.Cm.P2 too",
        )
    dpop_jkt = _one(parameters, "dpop_jkt")
    if dpop_jkt is not None and not _JKT.match(dpop_jkt):
        raise OAuthError(
            errors.INVALID_REQUEST, "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 9449 §10)"
        )
    return {
        "redirect_uri": parameters["redirect_uri"],
        "scope": scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "prompt": _prompt(_one(parameters, "prompt")),
        "max_age": _max_age(_one(parameters, "max_age")),
        "claims": _claims(_one(parameters, "claims")),
        "dpop_jkt": dpop_jkt,
        "levels": levels.to_json(),
        # Set once the browser has been sent to sign in again for prompt=login or max_age.
        "reauthentication_sent": False,
        # Set once the person consented in this journey (prompt=consent asks even with a grant).
        "consented": False,
    }


# --- the journey --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    url: str


@dataclass(frozen=True)
class AskConsent:
    """Show the consent page for these person-data scopes."""

    scopes: list[str]


Outcome = Redirect | AskConsent


class Authorizations:
    def __init__(self, db: AsyncSession, issuer: str) -> None:
        self.repository = AuthorizeRepository(db)
        self.consents = Consents(self.repository)
        self.issuer = issuer

    async def client(self, client_id: str | None) -> RelyingParty | None:
        """The enabled client with this id (B1's lookup)."""
        return await find_client(self.repository.session, client_id) if client_id else None

    async def push(self, client: RelyingParty, parameters: dict[str, Any]) -> str:
        """RFC 9126 §2.2: keep a pushed request; its `request_uri`."""
        now = utcnow()
        await self.repository.forget_expired(now)
        request_uri = PAR_URN_PREFIX + secrets.token_urlsafe(32)
        await self.repository.add_pending(
            PendingAuthorization(
                request_uri=request_uri,
                client_id=client.client_id,
                parameters=parameters,
                pushed=True,
                created_at=now,
                expires_at=now + timedelta(seconds=PUSHED_REQUEST_SECONDS),
            )
        )
        return request_uri

    async def begin(self, client: RelyingParty, parameters: dict[str, Any]) -> PendingAuthorization:
        now = utcnow()
        return await self.repository.add_pending(
            PendingAuthorization(
                request_uri=secrets.token_urlsafe(32),
                client_id=client.client_id,
                parameters=parameters,
                pushed=False,
                created_at=now,
                expires_at=now + timedelta(seconds=JOURNEY_SECONDS),
            )
        )

    async def begin_pushed(self, client: RelyingParty, request_uri: str) -> PendingAuthorization:
        """Use a pushed request, once (RFC 9126 §4)."""
        now = utcnow()
        pending = await self.repository.take_pushed(
            request_uri,
            client.client_id,
            secrets.token_urlsafe(32),
            now,
            now + timedelta(seconds=JOURNEY_SECONDS),
        )
        if pending is None:
            raise UnverifiedRequest(
                "The service's request has expired",
                f"The sign-in request from {client.name} has expired or was already used. Go back to the "
                "service and start again.",
            )
        return pending

    async def pending(self, request_uri: str) -> tuple[PendingAuthorization, RelyingParty]:
        pending = await self.repository.pending(request_uri, utcnow())
        client = None if pending is None else await self.repository.client(pending.client_id)
        if pending is None or client is None or client.disabled_at is not None:
            raise UnverifiedRequest(
                "This sign-in has expired",
                "This sign-in was finished, or took too long and has expired. Go back to the service and "
                "start again.",
            )
        return pending, client

    def _error(self, pending: PendingAuthorization, error: str, description: str) -> ClientError:
        parameters = pending.parameters
        return ClientError(parameters["redirect_uri"], error, description, parameters["state"])

    async def fail(self, pending: PendingAuthorization, error: str, description: str) -> Redirect:
        """End the journey with an error sent to the client."""
        await self.repository.finish(pending)
        return Redirect(self._error(pending, error, description).url(self.issuer))

    async def proceed(  # noqa: PLR0911 (one return per step of the journey)
        self, pending: PendingAuthorization, client: RelyingParty, signed_in: SignedIn | None
    ) -> Outcome:
        """The next step of a journey for whoever is signed in on this browser now."""
        parameters = dict(pending.parameters)
        levels = LevelRequest.from_json(parameters["levels"])
        continue_url = CONTINUE_PATH + "?" + urlencode({"request_uri": pending.request_uri})
        silent = "none" in parameters["prompt"]
        decision = next_step(
            levels,
            signed_in.auth_level if signed_in else None,
            signed_in.identity_level if signed_in else "P0",
        )
        if decision.step is Step.SIGN_IN:
            if silent:
                return await self.fail(pending, errors.LOGIN_REQUIRED, "nobody is signed in")
            return Redirect(sign_in_url(continue_url, auth_level=decision.auth_level))
        assert signed_in is not None  # noqa: S101 (SIGN_IN is the step when nobody is)
        if self._needs_reauthentication(pending, signed_in):
            if silent or parameters["reauthentication_sent"]:
                return await self.fail(
                    pending, errors.LOGIN_REQUIRED, "the service asked for a fresh sign-in"
                )
            pending.parameters = {**parameters, "reauthentication_sent": True}
            return Redirect(sign_in_url(continue_url, auth_level=decision.auth_level) + "&prompt=login")
        if decision.step is Step.STEP_UP:
            if silent:
                return await self.fail(pending, errors.LOGIN_REQUIRED, "the service needs a second factor")
            return Redirect(sign_in_url(continue_url, auth_level=decision.auth_level))
        if decision.step is Step.PROVE_IDENTITY:
            if silent:
                return await self.fail(
                    pending, errors.INTERACTION_REQUIRED, "the service needs a proven identity"
                )
            return Redirect(prove_identity_url(continue_url))
        assert decision.met is not None  # noqa: S101 (no step left means the level is met)
        missing = await self.consents.missing(signed_in.account_id, client.client_id, parameters["scope"])
        if "consent" in parameters["prompt"] and not parameters["consented"]:
            # OpenID Connect Core §3.1.2.1: ask again even for what was granted before.
            missing = needing_consent(parameters["scope"])
        if silent and missing == [OFFLINE_ACCESS]:
            # OpenID Connect Core §11: offline access needs consent the person gave on the consent page; a
            # request that may not show it is answered without offline access rather than refused.
            scopes = [scope for scope in parameters["scope"] if scope != OFFLINE_ACCESS]
            pending.parameters = {**parameters, "scope": scopes}
            missing = []
        if missing:
            if silent:
                return await self.fail(
                    pending, errors.CONSENT_REQUIRED, "the person has not consented to this data"
                )
            return AskConsent(missing)
        return Redirect(await self._issue_code(pending, client, signed_in, levels, decision.met))

    def _needs_reauthentication(self, pending: PendingAuthorization, signed_in: SignedIn) -> bool:
        """`prompt=login`: authenticated since the request came. `max_age`: authenticated at most that
        many seconds before the request came (OpenID Connect Core §3.1.2.1), so signing in again during
        the journey always satisfies it, even `max_age=0`."""
        parameters = pending.parameters
        if "login" in parameters["prompt"] and signed_in.authenticated_at < pending.created_at:
            return True
        max_age = parameters["max_age"]
        return max_age is not None and signed_in.authenticated_at < pending.created_at - timedelta(
            seconds=max_age
        )

    async def consent_given(
        self, pending: PendingAuthorization, client: RelyingParty, signed_in: SignedIn
    ) -> None:
        await self.consents.grant(
            signed_in.account_id, client.client_id, pending.parameters["scope"], utcnow()
        )
        pending.parameters = {**pending.parameters, "consented": True}

    async def consent_refused(self, pending: PendingAuthorization) -> Redirect:
        return await self.fail(pending, errors.ACCESS_DENIED, "the person refused to share their data")

    async def _issue_code(
        self,
        pending: PendingAuthorization,
        client: RelyingParty,
        signed_in: SignedIn,
        levels: LevelRequest,
        met: int,
    ) -> str:
        parameters = pending.parameters
        now = utcnow()
        code = secrets.token_urlsafe(32)
        await self.repository.add_code(
            AuthorizationCode(
                code_hash=secret_digest(code),
                client_id=client.client_id,
                account_id=signed_in.account_id,
                sid=signed_in.sid,
                redirect_uri=parameters["redirect_uri"],
                scope=" ".join(parameters["scope"]),
                nonce=parameters["nonce"],
                code_challenge=parameters["code_challenge"],
                vot=levels.vot(met),
                acr=levels.acr(met),
                requested_by_vtr=levels.by_vtr,
                claims=parameters["claims"],
                auth_time=signed_in.authenticated_at,
                dpop_jkt=parameters["dpop_jkt"],
                created_at=now,
                expires_at=now + timedelta(seconds=CODE_SECONDS),
            )
        )
        await self._record_client_session(client, signed_in, now)
        await self.repository.finish(pending)
        return with_query(
            parameters["redirect_uri"], {"code": code, "state": parameters["state"], "iss": self.issuer}
        )

    async def _record_client_session(self, client: RelyingParty, signed_in: SignedIn, now: datetime) -> None:
        existing = await self.repository.client_session(signed_in.sid, client.client_id)
        if existing is None:
            await self.repository.add_client_session(
                ClientSession(
                    sid=signed_in.sid,
                    client_id=client.client_id,
                    account_id=signed_in.account_id,
                    signed_in_at=now,
                )
            )
        else:
            existing.signed_in_at = now
            existing.ended_at = None
