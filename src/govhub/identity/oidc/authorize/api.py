"""The authorization part's machine endpoints: `/par` (RFC 9126 §2), where a client pushes its
authorization request, and the trustmark (RFC 8485 §5) its ID tokens' `vtm` points to."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from govhub.dependencies import DbSession
from govhub.identity.oidc import errors
from govhub.identity.oidc.authorize.service import (
    PUSHED_REQUEST_SECONDS,
    Authorizations,
    UnverifiedRequest,
    check_parameters,
    single_values,
    verified_redirect,
)
from govhub.identity.oidc.errors import OAuthError
from govhub.identity.oidc.levels import AUTH_LEVELS, IDENTITY_LEVELS, TRUSTMARK_PATH
from govhub.identity.oidc.provider import provider_of
from govhub.identity.oidc.tokens.client_auth import authenticate_client
from govhub.kit.access import PUBLIC
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)


@router.get(TRUSTMARK_PATH)
async def trustmark(request: Request) -> JSONResponse:
    """RFC 8485 §5: the vector component values this provider may assert, where ID tokens' `vtm` points."""
    issuer = provider_of(request).issuer
    return JSONResponse(
        {"idp": issuer, "trustmark_provider": issuer, "C": list(AUTH_LEVELS), "P": list(IDENTITY_LEVELS)},
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.post("/par")
async def pushed_authorization_request(request: Request, db: DbSession) -> Response:
    """RFC 9126 §2: an authenticated client pushes its authorization request and gets a `request_uri` to
    send the browser with, usable once within `expires_in` seconds."""
    form, repeated = single_values((await request.form()).multi_items())
    provider = provider_of(request)
    client = await authenticate_client(db, form, provider=provider, endpoint_path="/par")
    if repeated:
        raise OAuthError(errors.INVALID_REQUEST, f"{', '.join(sorted(set(repeated)))} sent more than once")
    if "request_uri" in form:
        raise OAuthError(errors.INVALID_REQUEST, "request_uri cannot be pushed (RFC 9126 §2.1)")
    if form.get("client_id", client.client_id) != client.client_id:
        raise OAuthError(errors.INVALID_REQUEST, "client_id is not the client that authenticated")
    try:
        verified_redirect(client, client.client_id, form.get("redirect_uri"))
    except UnverifiedRequest as error:
        raise OAuthError(errors.INVALID_REQUEST, error.detail) from None
    stored = check_parameters(client, form)
    request_uri = await Authorizations(db, provider.issuer).push(client, stored)
    return JSONResponse(
        {"request_uri": request_uri, "expires_in": PUSHED_REQUEST_SECONDS},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
