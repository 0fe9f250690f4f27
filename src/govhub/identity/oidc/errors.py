"""OAuth 2.0 errors, answered as the specifications say rather than as problem details: RFC 6749 §5.2
`{"error": ..., "error_description": ...}` with `Cache-Control: no-store` on the token, introspection,
revocation and PAR endpoints, and RFC 6750 §3 / RFC 9449 §7.1 `WWW-Authenticate` on protected resources.

The error codes are the specifications' own; nothing here invents one."""

from __future__ import annotations

import json
from typing import cast

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

#: RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §7.1 and OpenID Connect Core §3.1.2.6 codes used by govhub.
INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_GRANT = "invalid_grant"
UNAUTHORIZED_CLIENT = "unauthorized_client"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
UNSUPPORTED_TOKEN_TYPE = "unsupported_token_type"  # noqa: S105 (an error code)
INVALID_SCOPE = "invalid_scope"
INVALID_TOKEN = "invalid_token"  # noqa: S105 (an error code)
INSUFFICIENT_SCOPE = "insufficient_scope"
INVALID_DPOP_PROOF = "invalid_dpop_proof"
USE_DPOP_NONCE = "use_dpop_nonce"
ACCESS_DENIED = "access_denied"
LOGIN_REQUIRED = "login_required"
SERVER_ERROR = "server_error"
# The authorization journey's (B2): RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6, RFC 9126 §2.3.
UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
INTERACTION_REQUIRED = "interaction_required"
CONSENT_REQUIRED = "consent_required"
INVALID_REQUEST_URI = "invalid_request_uri"
REQUEST_NOT_SUPPORTED = "request_not_supported"
REGISTRATION_NOT_SUPPORTED = "registration_not_supported"


class OAuthError(Exception):
    """An error an OAuth client is told about in the protocol's own shape.

    `invalid_client` answers 401 with `WWW-Authenticate` (RFC 6749 §5.2); protected resources pass
    `www_authenticate` themselves (RFC 6750 §3)."""

    def __init__(
        self,
        error: str,
        error_description: str,
        *,
        status: int | None = None,
        www_authenticate: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {error_description}")
        self.error = error
        self.error_description = error_description
        self.status = status if status is not None else (401 if error == INVALID_CLIENT else 400)
        if www_authenticate is None and error == INVALID_CLIENT:
            # Clients authenticate in the body (private_key_jwt, client_secret_post), not with Basic.
            www_authenticate = 'Bearer error="invalid_client"'
        self.www_authenticate = www_authenticate
        self.headers = headers or {}

    def response(self) -> Response:
        return oauth_error_response(
            self.error,
            self.error_description,
            status=self.status,
            headers={
                **self.headers,
                **({"WWW-Authenticate": self.www_authenticate} if self.www_authenticate else {}),
            },
        )


def oauth_error_response(
    error: str, description: str, *, status: int = 400, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps({"error": error, "error_description": description})
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
    )


def bearer_challenge(scheme: str, error: str, description: str, **extra: str) -> str:
    """An RFC 6750 §3 / RFC 9449 §7.1 challenge, e.g. `Bearer error="invalid_token", ...`."""
    parts = [f'error="{error}"', f'error_description="{_quoted(description)}"']
    parts += [f'{name}="{_quoted(value)}"' for name, value in extra.items()]
    return f"{scheme} " + ", ".join(parts)


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


async def _oauth_error(_request: Request, exc: OAuthError) -> Response:
    return exc.response()


def install_oauth_error_handler(app: FastAPI) -> None:
    """Registered by the app factory beside the problem handlers, so OAuth errors never become
    problem+json."""
    app.add_exception_handler(OAuthError, cast("ExceptionHandler", _oauth_error))
