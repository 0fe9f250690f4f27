"""The provider's token endpoints: token (RFC 6749 §3.2), userinfo (OpenID Connect Core §5.3),
introspection (RFC 7662) and revocation (RFC 7009). Thin: parse, authenticate, call the grant or resource
code. Errors are RFC 6749 JSON (`errors.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from govhub.dependencies import DbSession
from govhub.identity.oidc.errors import (
    INVALID_REQUEST,
    OAuthError,
    bearer_challenge,
)
from govhub.identity.oidc.provider import provider_of
from govhub.identity.oidc.tokens.access import (
    AccessTokenHolder,
    AuthenticatedClient,
    oauth_form,
    require_scope,
)
from govhub.identity.oidc.tokens.dpop import verify_proof
from govhub.identity.oidc.tokens.grants import Grants
from govhub.identity.oidc.tokens.resources import introspect, revoke, userinfo
from govhub.kit.routing import api_router

router = api_router(tags=["identity: OpenID Connect"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "RFC 6749 §5.2 error: {error, error_description}."},
    401: {"description": "invalid_client (RFC 6749 §5.2) or invalid_token (RFC 6750 §3.1)."},
}


@router.post("/token", summary="Token endpoint (RFC 6749 §3.2)", responses=_OAUTH_ERRORS)
async def token(request: Request, db: DbSession, client: AuthenticatedClient) -> Response:
    """`authorization_code` (with PKCE), `refresh_token` and `client_credentials`; a `DPoP` header binds
    the tokens to the proof's key. Errors after something was written (a reused code revokes its tokens)
    are answered rather than raised, so the unit of work still commits that."""
    provider = provider_of(request)
    form = await oauth_form(request)
    try:
        proof = request.headers.get("dpop")
        jkt = None
        if proof is not None:
            checked = await verify_proof(
                db,
                proof,
                method="POST",
                url=provider.token_endpoint,
                provider=provider,
                group_commit=form.get("grant_type") == "client_credentials",
            )
            jkt = checked.jkt
        answer = await Grants(db, provider).grant(form.get("grant_type"), client, form, jkt)
    except OAuthError as error:
        return error.response()
    await provider.sweep_expired(db)
    return JSONResponse(answer.as_json(), headers=NO_STORE)


@router.get("/userinfo", summary="UserInfo (OpenID Connect Core §5.3)", responses=_OAUTH_ERRORS)
@router.post("/userinfo", summary="UserInfo (OpenID Connect Core §5.3)", responses=_OAUTH_ERRORS)
async def userinfo_endpoint(request: Request, db: DbSession, token: AccessTokenHolder) -> Response:
    provider = provider_of(request)
    require_scope(token, "openid")
    claims = await userinfo(db, provider, token)
    if claims is None:
        raise OAuthError(
            "invalid_token",
            "this token is not about a person (or the account has gone)",
            status=401,
            www_authenticate=bearer_challenge("Bearer", "invalid_token", "not about a person"),
        )
    return JSONResponse(claims, headers=NO_STORE)


@router.post("/introspect", summary="Token introspection (RFC 7662)", responses=_OAUTH_ERRORS)
async def introspect_endpoint(request: Request, db: DbSession, client: AuthenticatedClient) -> Response:
    form = await oauth_form(request)
    if not form.get("token"):
        raise OAuthError(INVALID_REQUEST, "token is missing")
    answer = await introspect(db, provider_of(request), client, form["token"])
    return JSONResponse(answer, headers=NO_STORE)


@router.post("/revoke", summary="Token revocation (RFC 7009)", responses=_OAUTH_ERRORS)
async def revoke_endpoint(request: Request, db: DbSession, client: AuthenticatedClient) -> Response:
    form = await oauth_form(request)
    if not form.get("token"):
        raise OAuthError(INVALID_REQUEST, "token is missing")
    await revoke(db, provider_of(request), client, form["token"])
    return Response(status_code=200, headers=NO_STORE)
