"""Discovery: the provider's metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) and its public
signing keys (RFC 7517 JWK Set). Thin: the keys come from the key ring in `keys.py`."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from govhub.dependencies import DbSession
from govhub.identity.oidc.clients.service import PERSON_SCOPES
from govhub.identity.oidc.discovery.keys import SIGNING_ALGORITHMS
from govhub.identity.oidc.levels import ACR_VECTORS
from govhub.identity.oidc.provider import Provider, provider_of
from govhub.identity.oidc.tokens.client_auth import ASSERTION_ALGORITHMS
from govhub.identity.oidc.tokens.dpop import DPOP_ALGORITHMS
from govhub.identity.oidc.tokens.service import IDENTITY_JWT_CLAIM
from govhub.kit.access import PUBLIC
from govhub.kit.routing import api_router

router = api_router(tags=["identity: OpenID Connect"])

#: Relying parties may cache discovery and keys briefly; a rotated key is published an hour ahead.
PUBLISHED_CACHE = {"Cache-Control": "public, max-age=300"}


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
