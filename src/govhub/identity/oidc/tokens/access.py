"""Who may call the provider's endpoints, as dependencies that count as access declarations
(`govhub.kit.access`): a client authenticated in the request body (RFC 6749 §2.3), or the holder of one
of our access tokens (RFC 6750 §2.1, or RFC 9449 §7.1 for DPoP-bound tokens)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request

from govhub.dependencies import DbSession
from govhub.identity.oidc.clients.service import ADMIN_SCOPE
from govhub.identity.oidc.errors import (
    INSUFFICIENT_SCOPE,
    INVALID_REQUEST,
    INVALID_TOKEN,
    OAuthError,
    bearer_challenge,
)
from govhub.identity.oidc.models import RelyingParty
from govhub.identity.oidc.provider import provider_of
from govhub.identity.oidc.tokens.client_auth import authenticate_client
from govhub.identity.oidc.tokens.dpop import verify_proof
from govhub.identity.oidc.tokens.service import (
    AccessTokenClaims,
    InvalidToken,
    access_token_revoked,
    check_access_token,
)
from govhub.kit.access import ACCESS_DEPENDENCIES

_FORM = "application/x-www-form-urlencoded"


async def oauth_form(request: Request) -> dict[str, str]:
    """The request's form parameters (RFC 6749 §3.2: form-encoded, each at most once)."""
    cached: dict[str, str] | None = getattr(request.state, "oauth_form", None)
    if cached is not None:
        return cached
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != _FORM:
        raise OAuthError(INVALID_REQUEST, f"send the parameters as {_FORM}")
    try:
        pairs = parse_qsl(
            (await request.body()).decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except UnicodeDecodeError:
        raise OAuthError(INVALID_REQUEST, "the form is not UTF-8") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError(INVALID_REQUEST, f"{name} is sent more than once")
        form[name] = value
    request.state.oauth_form = form
    return form


async def authenticated_client(request: Request, db: DbSession) -> RelyingParty:
    """The client that authenticated in the body with private_key_jwt or client_secret_post."""
    form = await oauth_form(request)
    provider = provider_of(request)
    if not db.in_transaction():
        # A node's first signing key is made here, in a transaction of its own, before this request's
        # unit of work writes anything (cheap afterwards: the key comes from memory).
        await provider.keys.signing_key(db, "ES256")
    # A client_credentials grant writes nothing but the assertion's jti: it may go to group commit.
    machine_grant = request.url.path == "/token" and form.get("grant_type") == "client_credentials"
    return await authenticate_client(
        db, form, provider=provider, endpoint_path=request.url.path, group_commit=machine_grant
    )


def _challenge(scheme: str, error: str, description: str, status: int = 401) -> OAuthError:
    return OAuthError(
        error, description, status=status, www_authenticate=bearer_challenge(scheme, error, description)
    )


async def access_token_holder(request: Request, db: DbSession) -> AccessTokenClaims:
    """A caller presenting one of our access tokens: `Bearer`, or `DPoP` with a proof for this request
    when the token is bound to a key (RFC 9449 §7.1)."""
    provider = provider_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme not in {"bearer", "dpop"} or not token.strip():
        raise OAuthError(
            INVALID_TOKEN,
            "send an access token: Authorization: Bearer <token> (or DPoP <token> with a DPoP proof)",
            status=401,
            www_authenticate='Bearer realm="govhub", DPoP algs="ES256 RS256 PS256"',
        )
    token = token.strip()
    try:
        # Revocation is read after the DPoP proof is recorded: the proof's write comes first in the unit of
        # work (see `Provider.record_jti`).
        claims = await check_access_token(db, provider, token, check_revoked=False)
    except InvalidToken as error:
        raise _challenge("DPoP" if scheme == "dpop" else "Bearer", INVALID_TOKEN, str(error)) from None
    if claims.jkt is not None and scheme == "dpop":
        await _check_proof(request, db, token, claims)
    if await access_token_revoked(db, provider, claims.jti):
        raise _challenge(
            "DPoP" if scheme == "dpop" else "Bearer", INVALID_TOKEN, "the access token has been revoked"
        )
    if claims.jkt is None and scheme == "dpop":
        raise _challenge("DPoP", INVALID_TOKEN, "this token is not DPoP-bound: send it as Bearer")
    if claims.jkt is not None and scheme != "dpop":
        raise _challenge("DPoP", INVALID_TOKEN, "this token is DPoP-bound: send it as DPoP with a DPoP proof")
    return claims


async def _check_proof(request: Request, db: DbSession, token: str, claims: AccessTokenClaims) -> None:
    """RFC 9449 §7.1: a proof for this request, made with the key the token is bound to."""
    provider = provider_of(request)
    proof = request.headers.get("dpop")
    if not proof:
        raise _challenge("DPoP", INVALID_TOKEN, "a DPoP proof (the DPoP header) is needed with this token")
    checked = await verify_proof(
        db,
        proof,
        method=request.method,
        url=provider.url(request.url.path),
        access_token=token,
        provider=provider,
        status=401,
        www_authenticate=bearer_challenge("DPoP", "invalid_dpop_proof", "the DPoP proof is not valid"),
    )
    if checked.jkt != claims.jkt:
        raise _challenge(
            "DPoP", "invalid_dpop_proof", "the DPoP proof is signed with another key than the token's"
        )


def require_scope(claims: AccessTokenClaims, scope: str) -> None:
    """RFC 6750 §3.1: a valid token without `scope` is a 403 `insufficient_scope`, naming the scope."""
    if scope not in claims.scopes:
        raise OAuthError(
            INSUFFICIENT_SCOPE,
            f"this needs an access token with the {scope} scope",
            status=403,
            www_authenticate=bearer_challenge(
                "DPoP" if claims.jkt else "Bearer", INSUFFICIENT_SCOPE, "more scope needed", scope=scope
            ),
        )


async def identity_admin(
    claims: Annotated[AccessTokenClaims, Depends(access_token_holder)],
) -> AccessTokenClaims:
    """A machine client holding a token with the `govhub:identity-admin` scope."""
    require_scope(claims, ADMIN_SCOPE)
    return claims


ACCESS_DEPENDENCIES.update({authenticated_client, access_token_holder, identity_admin})

AuthenticatedClient = Annotated[RelyingParty, Depends(authenticated_client)]
AccessTokenHolder = Annotated[AccessTokenClaims, Depends(access_token_holder)]
IdentityAdmin = Annotated[AccessTokenClaims, Depends(identity_admin)]
