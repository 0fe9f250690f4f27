"""Shared by the authorization journey's tests: a relying party made directly in the database, PKCE
pairs, authorization URLs, and reading what comes back to the redirect URI."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.models import RelyingParty
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest

REDIRECT_URI = "https://permits.anytown.example/callback"
SIGNED_OUT_URI = "https://permits.anytown.example/signed-out"
CLIENT_SECRET = "a-client-secret-for-tests-only-0123456789"
ISSUER = "http://127.0.0.1:8000"


async def create_relying_party(
    session: AsyncSession, client_id: str = "parking-permits", **overrides: Any
) -> RelyingParty:
    values: dict[str, Any] = {
        "client_id": client_id,
        "name": "Apply for a resident parking permit",
        "organisation": "Anytown Council",
        "purpose": "To check who you are and send you your permit.",
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": [SIGNED_OUT_URI],
        "backchannel_logout_uri": None,
        "token_endpoint_auth_method": "client_secret_post",
        "client_secret_hash": secret_digest(CLIENT_SECRET),
        "jwks": None,
        "jwks_uri": None,
        "id_token_signed_response_alg": "ES256",
        "sector_identifier": "permits.anytown.example",
        "subject_type": "pairwise",
        "grant_types": ["authorization_code", "refresh_token"],
        "allowed_scopes": ["openid", "email", "identity", "business", "offline_access"],
        "allowed_levels": ["Cl", "Cl.Cm", "Cl.Cm.P2"],
        "require_par": False,
        "require_dpop": False,
        "created_at": utcnow(),
        **overrides,
    }
    client = RelyingParty(**values)
    session.add(client)
    await session.flush()
    return client


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def make(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def authorization_parameters(
    client_id: str = "parking-permits", /, **overrides: str | None
) -> dict[str, str]:
    values: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "state": "state-" + secrets.token_urlsafe(8),
        "nonce": "nonce-" + secrets.token_urlsafe(8),
        "code_challenge": Pkce.make().challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {name: value for name, value in values.items() if value is not None}


def authorize_url(client_id: str = "parking-permits", /, **overrides: str | None) -> str:
    return "/authorize?" + urlencode(authorization_parameters(client_id, **overrides))


def returned(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect back to the relying party, one value per name."""
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def location_path(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return str(response.headers["location"])
