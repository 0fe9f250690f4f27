"""Signing in through govhub with Authlib's OAuth 2.0 client: the authorization code flow with PKCE (S256)
and `private_key_jwt` client authentication, ID tokens and logout tokens checked against govhub's JWKS.

What a relying party must check is checked here, in the order OpenID Connect Core §3.1.3.7 lists it:
the signature (by a key govhub publishes, ES256 or RS256, never `none`), `iss`, `aud`, `exp`, `iat`,
`nonce`; then that the level achieved (`vot`) is the level asked for.
"""

from __future__ import annotations

import json
import secrets
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523 import PrivateKeyJWT  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from govhub.demo_service.settings import DemoServiceSettings

#: As govhub names it (`govhub.identity.oidc.EXCHANGE_FOR_PERSON_SCOPE`); spelt out here, as any
#: relying party would, rather than imported from the provider it talks to over HTTP.
EXCHANGE_FOR_PERSON_SCOPE = "govhub:exchange-on-behalf"

with warnings.catch_warnings():
    # Authlib 1.9 prefers the `httpx2` fork and warns once, on import, when it finds the `httpx` the
    # platform uses; the client works the same on either.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]

#: What reaching govhub can fail with: a refusal, or the network.
UNREACHABLE = (OSError, httpx.HTTPError)

#: Algorithms govhub signs with (ES256 by default, RS256 for clients registered so); `none` never.
ID_TOKEN_ALGORITHMS = ["ES256", "RS256"]
#: Client assertions live a minute: long enough to reach the token endpoint, too short to be worth stealing.
ASSERTION_LIFETIME = 60
#: Seconds of clock difference between govhub and this service that are tolerated.
LEEWAY = 30
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class SignInFailed(Exception):
    """The sign-in could not be completed; the message says why, for the page and the log."""


@dataclass(frozen=True)
class Level:
    """What a sign-in asks govhub for: a vector of trust (RFC 8485) and the scopes that go with it."""

    vtr: str
    scope: str

    @property
    def components(self) -> frozenset[str]:
        return frozenset(self.vtr.split("."))


#: Two factors, no identity check: enough to start an application and see one's own email address, and to
#: have the council's subsystem ask the NHS trust about a blue badge for the person (the person's consent
#: to that is the `govhub:exchange-on-behalf` scope).
SIGNED_IN = Level("Cl.Cm", f"openid email {EXCHANGE_FOR_PERSON_SCOPE}")
#: Two factors and an identity matched against a register: needed to apply, with the verified name and
#: date of birth (the `identity` scope).
IDENTITY_CHECKED = Level("Cl.Cm.P2", f"openid email identity {EXCHANGE_FOR_PERSON_SCOPE}")


@dataclass(frozen=True)
class PendingSignIn:
    """What this service remembers between sending the browser to govhub and its return."""

    state: str
    nonce: str
    code_verifier: str
    level: Level
    return_to: str
    started_at: float = field(default_factory=time.time)


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's `private_key_jwt`, signing ES256 with the key's `kid` and a one-minute `exp` (Authlib's
    default is an hour). A fresh `jti` each time, as Authlib makes it."""

    alg = "ES256"

    def sign(self, auth: Any, token_endpoint: str) -> str:
        key: ECKey = auth.client_secret
        signed: str = private_key_jwt_sign(
            key,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            header={"kid": key.kid, "typ": "JWT"},
            expires_in=ASSERTION_LIFETIME,
        )
        return signed


class GovhubProvider:
    """govhub as this service sees it: its discovery document and keys, fetched once and kept (the keys
    fetched again when a token names a key not seen yet, which is how a rotation arrives)."""

    def __init__(
        self, settings: DemoServiceSettings, key: ECKey, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.key = key
        self.transport = transport
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=10)

    def oauth_client(self) -> AsyncOAuth2Client:
        """A fresh Authlib client per exchange: Authlib keeps the token on the client object, so one
        shared between people's requests would mix their tokens up."""
        client = AsyncOAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self.key,
            token_endpoint_auth_method="private_key_jwt",  # noqa: S106 (a method name, not a secret)
            redirect_uri=self.settings.redirect_uri,
            code_challenge_method="S256",
            transport=self.transport,
            timeout=10,
        )
        client.register_client_auth_method(ShortLivedPrivateKeyJWT())
        return client

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            async with self._http() as http:
                response = await http.get(f"{self.settings.issuer_url}/.well-known/openid-configuration")
            if response.status_code != 200:
                raise SignInFailed(f"govhub's discovery document answered {response.status_code}")
            document: dict[str, Any] = response.json()
            if document.get("issuer") != self.settings.issuer_url:
                raise SignInFailed(
                    f"govhub's discovery document names issuer {document.get('issuer')!r}, "
                    f"not {self.settings.issuer_url!r}"
                )
            self._metadata = document
        return self._metadata

    async def keys(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks_uri = (await self.metadata())["jwks_uri"]
            async with self._http() as http:
                response = await http.get(jwks_uri)
            if response.status_code != 200:
                raise SignInFailed(f"govhub's JWKS answered {response.status_code}")
            self._keys = KeySet.import_key_set(response.json())
        return self._keys

    async def authorization_url(self, level: Level, return_to: str) -> tuple[str, PendingSignIn]:
        pending = PendingSignIn(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
            level=level,
            return_to=return_to,
        )
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self.oauth_client() as client:
            url, _state = client.create_authorization_url(
                endpoint,
                state=pending.state,
                code_verifier=pending.code_verifier,
                scope=level.scope,
                nonce=pending.nonce,
                vtr=json.dumps([level.vtr]),
            )
        return str(url), pending

    async def complete(
        self, callback_url: str, pending: PendingSignIn
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Exchange the code in `callback_url` for tokens; the verified ID token's claims and the tokens."""
        metadata = await self.metadata()
        async with self.oauth_client() as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    authorization_response=callback_url,
                    state=pending.state,
                    code_verifier=pending.code_verifier,
                    redirect_uri=self.settings.redirect_uri,
                )
            except Exception as error:  # Authlib raises its OAuthError and others for any refusal
                raise SignInFailed(f"govhub's token endpoint refused the code: {error}") from error
        if "id_token" not in token:
            raise SignInFailed("govhub's token response has no ID token")
        claims = await self.verify_id_token(token["id_token"], pending.nonce)
        if not pending.level.components <= frozenset(str(claims.get("vot", "")).split(".")):
            raise SignInFailed(
                f"asked govhub for {pending.level.vtr} but the ID token says {claims.get('vot')!r}"
            )
        return claims, dict(token)

    async def _decode(self, token: str) -> dict[str, Any]:
        try:
            try:
                decoded = jwt.decode(token, await self.keys(), algorithms=ID_TOKEN_ALGORITHMS)
            except (ValueError, JoseError):
                # A key govhub has started signing with since the keys were fetched: fetch them again.
                decoded = jwt.decode(token, await self.keys(refresh=True), algorithms=ID_TOKEN_ALGORITHMS)
        except (ValueError, JoseError) as error:
            raise SignInFailed(f"the token is not signed by govhub: {error}") from error
        return dict(decoded.claims)

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        claims = await self._decode(id_token)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": self.settings.issuer_url},
            aud={"essential": True, "value": self.settings.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise SignInFailed(f"the ID token is not for this sign-in: {error}") from error
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.settings.client_id:
            raise SignInFailed("the ID token has several audiences and another authorized party")
        return claims

    async def verify_logout_token(self, logout_token: str) -> dict[str, Any]:
        """OpenID Connect Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat, the logout event, a
        `sid` or `sub`, and no `nonce`."""
        claims = await self._decode(logout_token)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": self.settings.issuer_url},
            aud={"essential": True, "value": self.settings.client_id},
            iat={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise SignInFailed(f"the logout token is not for this service: {error}") from error
        events = claims.get("events")
        if not isinstance(events, dict) or BACKCHANNEL_LOGOUT_EVENT not in events:
            raise SignInFailed("the logout token carries no back-channel logout event")
        if "nonce" in claims:
            raise SignInFailed("a logout token must not carry a nonce")
        if not claims.get("sid") and not claims.get("sub"):
            raise SignInFailed("the logout token names neither a session (sid) nor a person (sub)")
        return claims

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        endpoint = (await self.metadata())["userinfo_endpoint"]
        async with self._http() as http:
            response = await http.get(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code != 200:
            raise SignInFailed(f"govhub's userinfo endpoint answered {response.status_code}")
        if response.headers.get("content-type", "").startswith("application/jwt"):
            return await self._decode(response.text)
        info: dict[str, Any] = response.json()
        return info

    async def logout_url(self, id_token: str, state: str) -> str:
        endpoint = (await self.metadata()).get("end_session_endpoint", f"{self.settings.issuer_url}/logout")
        query = httpx.QueryParams(
            id_token_hint=id_token,
            client_id=self.settings.client_id,
            post_logout_redirect_uri=self.settings.post_logout_redirect_uri,
            state=state,
        )
        return f"{endpoint}?{query}"
