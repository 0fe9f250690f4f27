"""Client authentication at the token, introspection, revocation and PAR endpoints.

- `private_key_jwt` (OpenID Connect Core §9, RFC 7523 §3): a JWT signed with one of the client's keys,
  `iss` = `sub` = client id, `aud` the issuer or the endpoint, a short `exp`, and a `jti` used once.
- `client_secret_post` (RFC 6749 §2.3.1), only for clients registered for it.

Anything else, and every failure, is `invalid_client` (RFC 6749 §5.2) with a description that says what
was wrong, never which part of a secret."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwk, jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.clients.service import CLIENT_SECRET_POST, PRIVATE_KEY_JWT, KeysUnavailable
from govhub.identity.oidc.errors import INVALID_CLIENT, OAuthError
from govhub.identity.oidc.jose import es256_verifies, unverified_parts
from govhub.identity.oidc.models import RelyingParty
from govhub.identity.oidc.provider import Provider
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Never `none`, never HMAC (a shared secret is not a private key).
ASSERTION_ALGORITHMS = ("ES256", "RS256", "PS256")
#: RFC 7523 §3 leaves the lifetime to the server: at most five minutes ahead.
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
#: Clocks differ a little between the client and us.
CLOCK_SKEW = timedelta(seconds=30)


def _refuse(description: str) -> OAuthError:
    return OAuthError(INVALID_CLIENT, description)


async def authenticate_client(
    db: AsyncSession,
    form: Mapping[str, str],
    *,
    provider: Provider,
    endpoint_path: str = "/token",
    group_commit: bool = False,
) -> RelyingParty:
    """The enabled client that authenticated this request, or `invalid_client`.

    `endpoint_path` is the endpoint being called (`/token`, `/par`, ...): its URL is accepted as the
    assertion's audience beside the issuer and the token endpoint (RFC 7523 §3, RFC 9126 §2).
    `group_commit`: see `Provider.record_jti`."""
    if "client_assertion" in form or "client_assertion_type" in form:
        return await _private_key_jwt(db, form, provider, endpoint_path, group_commit=group_commit)
    if "client_secret" in form:
        return await _client_secret_post(db, form, provider)
    raise _refuse(
        "authenticate the client with private_key_jwt (client_assertion_type and client_assertion) "
        "or, if registered for it, client_secret_post (client_id and client_secret)"
    )


async def _client_secret_post(db: AsyncSession, form: Mapping[str, str], provider: Provider) -> RelyingParty:
    client_id = form.get("client_id", "")
    client = await provider.clients.find(db, client_id) if client_id else None
    # Compared even for an unknown client, so the answer takes as long either way.
    expected = client.client_secret_hash if client is not None and client.client_secret_hash else "0" * 64
    matches = hmac.compare_digest(secret_digest(form.get("client_secret", "")), expected)
    if client is None or not matches:
        raise _refuse("the client id or client secret is wrong, or the client is disabled")
    if client.token_endpoint_auth_method != CLIENT_SECRET_POST:
        raise _refuse("this client authenticates with private_key_jwt, not a client secret")
    return client


async def _private_key_jwt(
    db: AsyncSession, form: Mapping[str, str], provider: Provider, endpoint_path: str, *, group_commit: bool
) -> RelyingParty:
    if form.get("client_assertion_type") != JWT_BEARER:
        raise _refuse(f"client_assertion_type must be {JWT_BEARER}")
    assertion = form.get("client_assertion", "")
    if not assertion:
        raise _refuse("client_assertion is missing")
    header, unverified = unverified_parts(assertion, error=INVALID_CLIENT, what="client assertion")
    alg = header.get("alg")
    if alg not in ASSERTION_ALGORITHMS:
        raise _refuse(
            f"the client assertion must be signed with {', '.join(ASSERTION_ALGORITHMS)}, not {alg!r}"
        )
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or not client_id:
        raise _refuse("the client assertion has no iss (the client id)")
    if form.get("client_id") not in {None, client_id}:
        raise _refuse("client_id does not match the client assertion's iss")
    client = await provider.clients.find(db, client_id)
    if client is None:
        raise _refuse("no enabled client has that id")
    if client.token_endpoint_auth_method != PRIVATE_KEY_JWT:
        raise _refuse("this client is registered for client_secret_post, not private_key_jwt")
    claims = await _verified_claims(client, assertion, header, unverified, provider)
    _check_claims(claims, client_id, provider, endpoint_path)
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    recorded = await provider.record_jti(
        db, "client_assertion", client_id, claims["jti"], expires_at, group_commit=group_commit
    )
    if not recorded:
        raise _refuse("this client assertion was used before: make a new one, with a new jti, per request")
    return client


async def _verified_claims(
    client: RelyingParty,
    assertion: str,
    header: dict[str, Any],
    unverified: dict[str, Any],
    provider: Provider,
) -> dict[str, Any]:
    """The assertion's claims once its signature verifies with one of the client's keys."""
    alg, kid = header["alg"], header.get("kid")
    if "crit" in header:
        raise _refuse(
            "the client assertion names critical header parameters (crit) this server does not know"
        )
    for attempt in range(2):
        key_set = await _client_keys(client, provider, refresh=attempt > 0)
        candidates = [k for k in key_set.keys if kid is None or k.kid == kid]
        if candidates or client.jwks_uri is None:
            break
        # An unknown kid: the client may have rotated its keys; fetch its JWKS again, once.
    if not candidates:
        raise _refuse("the client assertion is signed with a key the client has not registered")
    for key in candidates:
        if alg == "ES256" and isinstance(key, jwk.ECKey):
            # The claims verified are the very bytes read before: the signature covers that segment.
            if es256_verifies(key.public_key, assertion):
                return unverified
            continue
        try:
            return dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
        except (JoseError, ValueError, TypeError):
            continue
    raise _refuse("the client assertion's signature does not verify with the client's registered keys")


async def _client_keys(client: RelyingParty, provider: Provider, *, refresh: bool) -> jwk.KeySet:
    if client.jwks is not None:
        return provider.client_key_set(client.client_id, client.jwks)
    if client.jwks_uri is None:
        raise _refuse("the client has no keys registered")
    try:
        return await provider.remote_keys.key_set(client.jwks_uri, refresh=refresh)
    except KeysUnavailable as error:
        raise _refuse(str(error)) from None


def _check_claims(claims: dict[str, Any], client_id: str, provider: Provider, endpoint_path: str) -> None:
    if claims.get("sub") != client_id or claims.get("iss") != client_id:
        raise _refuse("the client assertion's iss and sub must both be the client id")
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    accepted = {provider.issuer, provider.token_endpoint, provider.url(endpoint_path)}
    if not isinstance(audiences, list) or not accepted & {a for a in audiences if isinstance(a, str)}:
        raise _refuse(f"the client assertion's aud must be the issuer {provider.issuer} or this endpoint")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= 200:
        raise _refuse("the client assertion needs a jti (a unique identifier, at most 200 characters)")
    now = utcnow()
    exp = _time_claim(claims, "exp", required=True)
    if exp is None or exp <= now - CLOCK_SKEW:
        raise _refuse("the client assertion has expired")
    if exp > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW:
        raise _refuse("the client assertion's exp is more than 5 minutes ahead: make short-lived assertions")
    nbf = _time_claim(claims, "nbf")
    iat = _time_claim(claims, "iat")
    if (nbf is not None and nbf > now + CLOCK_SKEW) or (iat is not None and iat > now + CLOCK_SKEW):
        raise _refuse("the client assertion is not valid yet (iat or nbf in the future)")


def _time_claim(claims: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _refuse(f"the client assertion's {name} must be a number")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _refuse(f"the client assertion's {name} is out of range") from None
