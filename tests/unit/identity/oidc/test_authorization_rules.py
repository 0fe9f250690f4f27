"""The authorization endpoint's pure rules: where the answer goes, and what a request may contain."""

from __future__ import annotations

import pytest

from govhub.identity.oidc.authorize.service import (
    ClientError,
    UnverifiedRequest,
    check_parameters,
    verified_redirect,
    with_query,
)
from govhub.identity.oidc.errors import OAuthError
from govhub.identity.oidc.models import RelyingParty

REDIRECT = "https://service.example/callback?tenant=7"


def _client(**overrides: object) -> RelyingParty:
    values: dict[str, object] = {
        "client_id": "svc",
        "name": "A service",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code"],
        "allowed_scopes": ["openid", "email"],
        "allowed_levels": ["Cl", "Cl.Cm"],
        "disabled_at": None,
        **overrides,
    }
    return RelyingParty(**values)


def test_the_answer_keeps_the_registered_query() -> None:
    assert with_query(REDIRECT, {"code": "c d", "state": None}) == REDIRECT + "&code=c+d"
    refusal = ClientError(REDIRECT, "access_denied", "no", "s")
    assert refusal.url("https://id.example") == (
        REDIRECT + "&error=access_denied&error_description=no&state=s&iss=https%3A%2F%2Fid.example"
    )


@pytest.mark.parametrize(
    "redirect_uri",
    [
        None,
        "",
        "https://service.example/callback",
        REDIRECT + "&x=1",
        "HTTPS://service.example/callback?tenant=7",
    ],
)
def test_only_the_exact_registered_redirect_uri_is_trusted(redirect_uri: str | None) -> None:
    with pytest.raises(UnverifiedRequest):
        verified_redirect(_client(), "svc", redirect_uri)
    assert verified_redirect(_client(), "svc", REDIRECT) == REDIRECT


def test_a_machine_client_cannot_sign_people_in() -> None:
    with pytest.raises(UnverifiedRequest, match="does not sign people in"):
        verified_redirect(_client(grant_types=["client_credentials"]), "svc", REDIRECT)


def test_the_kept_parameters() -> None:
    parameters = {
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid email openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "vtr": '["Cl"]',
        "max_age": "300",
        "claims": '{"userinfo": {"email": {"essential": true}}}',
    }
    kept = check_parameters(_client(), parameters)
    assert kept["scope"] == ["openid", "email"]
    assert kept["max_age"] == 300
    assert kept["levels"] == {"vectors": ["Cl"], "asked": "vtr", "acr": []}
    assert kept["claims"] == {"userinfo": {"email": {"essential": True}}}
    with pytest.raises(OAuthError) as refused:
        check_parameters(_client(), {**parameters, "claims": '{"access_token": {}}'})
    assert refused.value.error == "invalid_request"
