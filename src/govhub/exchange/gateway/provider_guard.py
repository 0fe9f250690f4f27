"""The provider's side of `gateway_assertion`: `GatewayOnly`, ASGI middleware a member's service installs so
that it answers only requests the gateway forwarded (issue 6 §4, "only reachable through the gateway in
production mode").

It checks `X-Govhub-Gateway-Assertion` against the platform's JWKS (fetched, kept `cache_seconds`, fetched
again when an assertion names a key not seen yet, which is how a key rotation arrives): signature (ES256
only, never `none`), `typ`, issuer, audience (this provider's service ids), expiry, that method and path
are the ones signed, that X-Road-Id, X-Road-Client and X-Road-UserId are the signed ones (so a header added
or changed on the way is refused), and that the X-Road-Id has not been seen before (a replay, within the
assertion's minute; per process). A refusal is a 403 X-Road style error body
(`Server.ServerProxy.AccessDenied`, PR-REST §4.6); keys that cannot be fetched, 503.

Enforced (`enforce=True`, production): a request without an assertion is refused. Otherwise (development) a
request without one passes, with its headers as sent, so a developer can call the service directly; one that
carries an assertion is still checked.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.gateway_assertion import ALGORITHM, HEADER, LIFETIME, TYP
from govhub.identity.oidc import b64url_decode, es256_verifies

#: Seconds of clock difference between the platform and the provider that are tolerated.
LEEWAY = 5
#: Paths answered without an assertion: the service's own description and health check.
OPEN_PATHS = frozenset({"/openapi.json", "/healthz"})
#: Where a verified assertion's claims are left for the app (`request.state.gateway_assertion`).
STATE_KEY = "gateway_assertion"


class AssertionKeys(Protocol):
    """Where the platform's public signing keys come from: its JWKS over HTTP for a member's provider
    (`PlatformKeys`), its own key ring for the platform's own services (`gateway_assertion.OwnKeys`)."""

    async def key(self, kid: str) -> ec.EllipticCurvePublicKey | None: ...


class AssertionRefused(Exception):
    """The request does not carry a valid assertion for this provider; the message says why."""


class KeysUnavailable(Exception):
    """The platform's JWKS could not be fetched."""


class PlatformKeys:
    """The platform's public signing keys from its JWKS URL, cached; an unknown `kid` fetches them again, at
    most once every `min_refresh_seconds` (so forged kids cannot make us hammer the platform)."""

    def __init__(
        self,
        jwks_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        cache_seconds: float = 300,
        min_refresh_seconds: float = 10,
    ) -> None:
        self.jwks_url = jwks_url
        self.transport = transport
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        #: How many times the JWKS was fetched (the tests check the cache with it).
        self.fetches = 0

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=5, trust_env=False) as http:
                response = await http.get(self.jwks_url)
            if response.status_code != 200:
                raise KeysUnavailable(f"the platform's JWKS answered {response.status_code}")
            key_set = KeySet.import_key_set(response.json())
        except (OSError, httpx.HTTPError, ValueError, JoseError) as error:
            raise KeysUnavailable(f"the platform's JWKS could not be read: {type(error).__name__}") from None
        finally:
            self._fetched_at = time.monotonic()
            self.fetches += 1
        self._keys = {
            key.kid: key.public_key
            for key in key_set.keys
            if isinstance(key, ECKey) and key.kid and isinstance(key.public_key, ec.EllipticCurvePublicKey)
        }

    async def key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        now = time.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at > self.cache_seconds
        unknown = kid not in self._keys and (
            self._fetched_at is None or now - self._fetched_at >= self.min_refresh_seconds
        )
        if stale or unknown:
            async with self._lock:
                if self._fetched_at is None or self._fetched_at < now:  # not fetched meanwhile
                    try:
                        await self._fetch()
                    except KeysUnavailable:
                        # The platform briefly unreachable: the keys held still check what they signed.
                        if kid not in self._keys:
                            raise
        return self._keys.get(kid)


class SeenMessages:
    """X-Road-Ids of assertions accepted, kept until their assertion expires: a replay is refused."""

    def __init__(self, limit: int = 100_000) -> None:
        self._expiry: dict[str, float] = {}
        self.limit = limit

    def first_time(self, message_id: str, expires_at: float, now: float) -> bool:
        if len(self._expiry) >= self.limit:
            self._expiry = {m: e for m, e in self._expiry.items() if e + LEEWAY > now}
            if len(self._expiry) >= self.limit:  # all live: forget the oldest half rather than grow
                self._expiry = dict(list(self._expiry.items())[self.limit // 2 :])
        if message_id in self._expiry and self._expiry[message_id] + LEEWAY > now:
            return False
        self._expiry[message_id] = expires_at
        return True


@dataclass(frozen=True)
class Received:
    """What the provider received, to be compared with what the gateway signed."""

    method: str
    path: str
    message_id: str | None
    client: str | None
    user_id: str | None


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    pieces = token.split(".")
    if len(pieces) != 3:
        raise AssertionRefused("the assertion is not a signed JWT")
    try:
        header, claims = json.loads(b64url_decode(pieces[0])), json.loads(b64url_decode(pieces[1]))
    except (ValueError, UnicodeDecodeError):
        raise AssertionRefused("the assertion's header or claims are not base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AssertionRefused("the assertion's header and claims must be JSON objects")
    return header, claims


def _check_claims(
    claims: dict[str, Any], *, issuer: str, audiences: Collection[str], received: Received, now: float
) -> None:
    if claims.get("iss") != issuer:
        raise AssertionRefused("the assertion is not the platform's (iss)")
    if claims.get("aud") not in audiences:
        raise AssertionRefused("the assertion is for another service (aud)")
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int) or not isinstance(expires, int):
        raise AssertionRefused("the assertion has no iat or exp")
    if expires + LEEWAY <= now:
        raise AssertionRefused("the assertion has expired")
    if issued - LEEWAY > now or expires - issued > LIFETIME:
        raise AssertionRefused("the assertion's lifetime is wrong (iat, exp)")
    if claims.get("htm") != received.method.upper():
        raise AssertionRefused("the assertion is for another method (htm)")
    htu = claims.get("htu")
    if not isinstance(htu, str) or unquote(urlsplit(htu).path or "/") != unquote(received.path):
        raise AssertionRefused("the assertion is for another path (htu)")
    # Absent on both sides is a match (no citizen); present on one side only is not.
    for header, claim, value in (
        ("X-Road-Id", "xroad_id", received.message_id),
        ("X-Road-Client", "client", received.client),
        ("X-Road-UserId", "sub", received.user_id),
    ):
        if claims.get(claim) != value:
            raise AssertionRefused(f"{header} is not the one the gateway signed ({claim})")


async def verify_gateway_assertion(
    token: str,
    keys: AssertionKeys,
    *,
    issuer: str,
    audiences: Collection[str],
    received: Received,
    now: float | None = None,
) -> dict[str, Any]:
    """The assertion's claims if it is the platform's, for this service and this request; else raises
    `AssertionRefused` (or `KeysUnavailable`)."""
    header, claims = _parts(token.strip())
    if header.get("alg") != ALGORITHM or header.get("typ") != TYP:
        raise AssertionRefused(f"the assertion must be an ES256 JWT of type {TYP}")
    kid = header.get("kid")
    public_key = await keys.key(kid) if isinstance(kid, str) and kid else None
    if public_key is None or not es256_verifies(public_key, token.strip()):
        raise AssertionRefused("the assertion is not signed by the platform")
    _check_claims(
        claims,
        issuer=issuer,
        audiences=audiences,
        received=received,
        now=time.time() if now is None else now,
    )
    return claims


class GatewayOnly:
    """ASGI middleware: the app behind it answers only what the gateway forwarded (when `enforce`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: PlatformKeys,
        issuer: str,
        audiences: Collection[str],
        enforce: bool,
        open_paths: Collection[str] = OPEN_PATHS,
    ) -> None:
        self.app = app
        self.keys = keys
        self.issuer = issuer.rstrip("/")
        self.audiences = frozenset(audiences)
        self.enforce = enforce
        self.open_paths = frozenset(open_paths)
        self.seen = SeenMessages()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = await self._refusal(scope, headers)
        if refusal is not None:
            await xe.render(refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refusal(self, scope: Scope, headers: Headers) -> xe.XRoadError | None:
        """Why the request is refused, or None (its claims, if it has an assertion, are left in the scope)."""
        message_id = headers.get("x-road-id")
        try:
            claims = await verify_request_assertion(
                headers,
                method=scope["method"],
                path=scope["path"],
                keys=self.keys,
                issuer=self.issuer,
                audiences=self.audiences,
                seen=self.seen,
            )
        except AssertionRefused as refused:
            return xe.XRoadError(xe.ACCESS_DENIED, f"Refused: {refused}.", message_id or "")
        except KeysUnavailable as error:
            detail = f"The platform's keys cannot be read to check the request: {error}."
            return xe.XRoadError(xe.INTERNAL_ERROR, detail, message_id or "")
        if claims is None:
            if self.enforce:
                return xe.XRoadError(
                    xe.ACCESS_DENIED, "Call this service through the gateway.", message_id or ""
                )
            return None
        scope.setdefault("state", {})[STATE_KEY] = claims
        return None


async def verify_request_assertion(
    headers: Headers,
    *,
    method: str,
    path: str,
    keys: AssertionKeys,
    issuer: str,
    audiences: Collection[str],
    seen: SeenMessages,
) -> dict[str, Any] | None:
    """The claims of the request's `X-Govhub-Gateway-Assertion` when it is the platform's, for one of
    `audiences` and for this very request (method, path, X-Road-Id, X-Road-Client, X-Road-UserId), seen for
    the first time; None when the request carries none. Raises `AssertionRefused` (or `KeysUnavailable`).
    Every provider of the exchange checks assertions through here: members' apps (`GatewayOnly`) and the
    platform's own services (the registries)."""
    tokens = headers.getlist(HEADER)
    if len(tokens) > 1:
        # One from the gateway and one the caller slipped through: which one a framework reads is luck.
        raise AssertionRefused("more than one assertion")
    if not tokens:
        return None
    received = Received(
        method=method,
        path=path,
        message_id=headers.get("x-road-id"),
        client=headers.get("x-road-client"),
        user_id=headers.get("x-road-userid"),
    )
    claims = await verify_gateway_assertion(
        tokens[0], keys, issuer=issuer, audiences=audiences, received=received
    )
    if not seen.first_time(str(claims["xroad_id"]), float(claims["exp"]), time.time()):
        raise AssertionRefused("the assertion has been used before")
    return claims
