"""The provider's protocol endpoints: discovery, JWKS, token, userinfo, introspection and revocation.
Thin: parse, authenticate, call the grant or resource code. Errors are RFC 6749 JSON (`errors.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from govhub.dependencies import DbSession
from govhub.identity.oidc.access import AccessTokenHolder, AuthenticatedClient, oauth_form, require_scope
from govhub.identity.oidc.client_auth import ASSERTION_ALGORITHMS
from govhub.identity.oidc.clients import PERSON_SCOPES
from govhub.identity.oidc.dpop import DPOP_ALGORITHMS, verify_proof
from govhub.identity.oidc.errors import (
    INVALID_REQUEST,
    OAuthError,
    bearer_challenge,
)
from govhub.identity.oidc.grants import Grants
from govhub.identity.oidc.keys import SIGNING_ALGORITHMS
from govhub.identity.oidc.levels import ACR_VECTORS
from govhub.identity.oidc.provider import Provider, provider_of
from govhub.identity.oidc.resources import introspect, revoke, userinfo
from govhub.identity.oidc.tokens import IDENTITY_JWT_CLAIM
from govhub.kit.access import PUBLIC
from govhub.kit.routing import api_router

router = api_router(tags=["identity: OpenID Connect"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Relying parties may cache discovery and keys briefly; a rotated key is published an hour ahead.
PUBLISHED_CACHE = {"Cache-Control": "public, max-age=300"}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "RFC 6749 §5.2 error: {error, error_description}."},
    401: {"description": "invalid_client (RFC 6749 §5.2) or invalid_token (RFC 6750 §3.1)."},
}


def discovery_document(provider: Provider) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 and RFC 8414 §2."""
    url = provider.url
    vectors = sorted({"Cl", "Cl.Cm", "Cl.Cm.P0", "Cl.Cm.P1", "Cl.Cm.P2"})
    return {
        "issuer": provider.issuer,
        "authorization_endpoint": url("/authorize"),
        "pushed_authorization_request_endpoint": url("/par"),
        "require_pushed_authorization_requests": False,
        "token_endpoint": url("/token"),
        "userinfo_endpoint": url("/userinfo"),
        "jwks_uri": url("/.well-known/jwks.json"),
        "introspection_endpoint": url("/introspect"),
        "revocation_endpoint": url("/revoke"),
        "end_session_endpoint": url("/logout"),
        "scopes_supported": list(PERSON_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
        "authorization_response_iss_parameter_supported": True,
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "vtr_values": vectors,
        "trustmarks": url("/trustmark"),
        "acr_values_supported": list(ACR_VECTORS),
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
            "vot",
            "vtm",
            "acr",
            "email",
            "email_verified",
            "given_name",
            "family_name",
            "birthdate",
            "organisations",
            IDENTITY_JWT_CLAIM,
        ],
        "ui_locales_supported": ["en-GB"],
    }


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata", dependencies=[PUBLIC])
async def openid_configuration(request: Request) -> JSONResponse:
    return JSONResponse(discovery_document(provider_of(request)), headers=PUBLISHED_CACHE)


class JwkSetResponse(JSONResponse):
    """A JWK Set, as RFC 7517 §8.5.1 registers its media type."""

    media_type = "application/jwk-set+json"


@router.get(
    "/.well-known/jwks.json",
    summary="The provider's public signing keys",
    dependencies=[PUBLIC],
    response_class=JwkSetResponse,
    responses={
        200: {
            "description": "A JWK Set (RFC 7517 §5).",
            "content": {
                JwkSetResponse.media_type: {
                    "schema": {
                        "type": "object",
                        "required": ["keys"],
                        "properties": {"keys": {"type": "array"}},
                    }
                }
            },
        }
    },
)
async def jwks(request: Request, db: DbSession) -> JwkSetResponse:
    keys = await provider_of(request).keys.public_jwks(db)
    return JwkSetResponse(keys, headers=PUBLISHED_CACHE)


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
