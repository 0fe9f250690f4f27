"""The OpenID Connect provider, laid out by the specifications it implements (as authlib is):

- `authorize/`: authorization requests (OpenID Connect Core §3.1.2), PAR (RFC 9126), PKCE (RFC 7636);
- `consent/`: the person's consent, kept per client and scope, and withdrawn on the services page;
- `tokens/`: the token endpoint's grants (RFC 6749), client authentication (RFC 7523), DPoP (RFC 9449),
  JWT access tokens (RFC 9068), introspection (RFC 7662), revocation (RFC 7009) and userinfo;
- `clients/`: relying parties, their registration and admin API;
- `logout/`: RP-initiated and back-channel logout;
- `discovery/`: metadata (OpenID Connect Discovery 1.0, RFC 8414) and the signing keys (RFC 7517).

This module is the provider's public face: other blocks import these names from `govhub.identity.oidc`
and nothing from its submodules. It imports them lazily (on first use), so importing the face, or the
models through it, pulls in none of the provider (no import cycle with the identity block's models)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govhub.identity.oidc.clients.schemas import (
        ClientView,
    )
    from govhub.identity.oidc.clients.service import (
        AUTH_METHODS,
        DATA_USE_SCOPE,
        EXCHANGE_FOR_PERSON_SCOPE,
        GRANT_TYPES,
        LEVELS,
        PRIVATE_KEY_JWT,
        ClientRegistration,
        all_clients,
        client_by_id,
        disable_client,
        enable_client,
        jwks_problems,
        register_client,
    )
    from govhub.identity.oidc.discovery.keys import (
        SIGNING_ALGORITHMS,
        KeyRing,
        LoadedKey,
        UnknownAlgorithm,
    )
    from govhub.identity.oidc.errors import (
        INSUFFICIENT_SCOPE,
        OAuthError,
        bearer_challenge,
        install_oauth_error_handler,
    )
    from govhub.identity.oidc.jose import (
        b64url,
        b64url_decode,
        es256_verifies,
    )
    from govhub.identity.oidc.logout.delivery import (
        BackgroundDelivery,
        DeliveryRound,
        SweepRound,
        deliver_due_logouts,
        end_timed_out_sessions,
        forget_expired_requests,
    )
    from govhub.identity.oidc.provider import (
        Provider,
        provider_of,
    )
    from govhub.identity.oidc.subjects import (
        Subjects,
    )
    from govhub.identity.oidc.tokens.access import (
        access_token_holder,
        require_scope,
    )
    from govhub.identity.oidc.tokens.service import (
        ACCOUNT_CLAIM,
        AccessTokenClaims,
        InvalidToken,
        check_access_token,
        token_account,
    )

#: Where each public name lives.
_HOMES: dict[str, str] = {
    "ClientView": "govhub.identity.oidc.clients.schemas",
    "AUTH_METHODS": "govhub.identity.oidc.clients.service",
    "DATA_USE_SCOPE": "govhub.identity.oidc.clients.service",
    "EXCHANGE_FOR_PERSON_SCOPE": "govhub.identity.oidc.clients.service",
    "GRANT_TYPES": "govhub.identity.oidc.clients.service",
    "LEVELS": "govhub.identity.oidc.clients.service",
    "PRIVATE_KEY_JWT": "govhub.identity.oidc.clients.service",
    "ClientRegistration": "govhub.identity.oidc.clients.service",
    "all_clients": "govhub.identity.oidc.clients.service",
    "client_by_id": "govhub.identity.oidc.clients.service",
    "disable_client": "govhub.identity.oidc.clients.service",
    "enable_client": "govhub.identity.oidc.clients.service",
    "jwks_problems": "govhub.identity.oidc.clients.service",
    "register_client": "govhub.identity.oidc.clients.service",
    "SIGNING_ALGORITHMS": "govhub.identity.oidc.discovery.keys",
    "KeyRing": "govhub.identity.oidc.discovery.keys",
    "LoadedKey": "govhub.identity.oidc.discovery.keys",
    "UnknownAlgorithm": "govhub.identity.oidc.discovery.keys",
    "INSUFFICIENT_SCOPE": "govhub.identity.oidc.errors",
    "OAuthError": "govhub.identity.oidc.errors",
    "bearer_challenge": "govhub.identity.oidc.errors",
    "install_oauth_error_handler": "govhub.identity.oidc.errors",
    "b64url": "govhub.identity.oidc.jose",
    "b64url_decode": "govhub.identity.oidc.jose",
    "es256_verifies": "govhub.identity.oidc.jose",
    "BackgroundDelivery": "govhub.identity.oidc.logout.delivery",
    "DeliveryRound": "govhub.identity.oidc.logout.delivery",
    "SweepRound": "govhub.identity.oidc.logout.delivery",
    "deliver_due_logouts": "govhub.identity.oidc.logout.delivery",
    "end_timed_out_sessions": "govhub.identity.oidc.logout.delivery",
    "forget_expired_requests": "govhub.identity.oidc.logout.delivery",
    "Provider": "govhub.identity.oidc.provider",
    "provider_of": "govhub.identity.oidc.provider",
    "Subjects": "govhub.identity.oidc.subjects",
    "access_token_holder": "govhub.identity.oidc.tokens.access",
    "require_scope": "govhub.identity.oidc.tokens.access",
    "ACCOUNT_CLAIM": "govhub.identity.oidc.tokens.service",
    "AccessTokenClaims": "govhub.identity.oidc.tokens.service",
    "InvalidToken": "govhub.identity.oidc.tokens.service",
    "check_access_token": "govhub.identity.oidc.tokens.service",
    "token_account": "govhub.identity.oidc.tokens.service",
}

__all__ = [
    "ACCOUNT_CLAIM",
    "AUTH_METHODS",
    "DATA_USE_SCOPE",
    "EXCHANGE_FOR_PERSON_SCOPE",
    "GRANT_TYPES",
    "INSUFFICIENT_SCOPE",
    "LEVELS",
    "PRIVATE_KEY_JWT",
    "SIGNING_ALGORITHMS",
    "AccessTokenClaims",
    "BackgroundDelivery",
    "ClientRegistration",
    "ClientView",
    "DeliveryRound",
    "InvalidToken",
    "KeyRing",
    "LoadedKey",
    "OAuthError",
    "Provider",
    "Subjects",
    "SweepRound",
    "UnknownAlgorithm",
    "access_token_holder",
    "all_clients",
    "b64url",
    "b64url_decode",
    "bearer_challenge",
    "check_access_token",
    "client_by_id",
    "deliver_due_logouts",
    "disable_client",
    "enable_client",
    "end_timed_out_sessions",
    "es256_verifies",
    "forget_expired_requests",
    "install_oauth_error_handler",
    "jwks_problems",
    "provider_of",
    "register_client",
    "require_scope",
    "token_account",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
