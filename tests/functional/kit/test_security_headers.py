"""Security headers on every page, not only the decision pages (issue 14): every HTML response carries a
Content Security Policy with `frame-ancestors 'none'` that allows no inline script but GOV.UK Frontend's
own (by its hash), `X-Frame-Options: DENY`, a referrer, permissions and opener policy; every response
`nosniff`; `Strict-Transport-Security` when the deployment is on https. The pages are found from the
app's route table, so a new page is checked without being listed here."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.app import create_app
from govhub.config import Settings
from tests.functional.identity.account_support import create_citizen, sign_in
from tests.support.databases import database_on

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)
_PAGE_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def _page_paths(app: FastAPI) -> list[str]:
    """Every page a GET reaches without path parameters: the routes outside the API document."""
    return sorted(
        route.path
        for route in app.routes
        if isinstance(route, APIRoute)
        and "GET" in (route.methods or set())
        and "{" not in route.path
        and (not route.include_in_schema or route.path == "/docs")
    )


def assert_a_protected_page(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.request.url
    for name, value in _PAGE_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert "publickey-credentials-get=(self)" in response.headers["permissions-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    # The platform's policy; a decision page may add its own beside it (a browser enforces every one).
    policies = response.headers.get_list("content-security-policy")
    ours = _directives(next(p for p in policies if "default-src" in p))
    assert ours["frame-ancestors"] == ["'none'"]
    assert ours["default-src"] == ["'self'"]
    assert ours["object-src"] == ["'none'"]
    assert ours["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in ours["script-src"] + ours["style-src"]
    assert "'unsafe-eval'" not in ours["script-src"]
    # Every inline script the page carries is allowed by its hash, and no other is.
    for script in _INLINE_SCRIPT.findall(response.text):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in ours["script-src"], (response.request.url, script[:80])
    assert " style=" not in response.text, response.request.url
    assert " on" + "click=" not in response.text.lower()


async def test_every_page_carries_the_security_headers(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    anonymous = [await client.get(path) for path in _page_paths(app)]
    await sign_in(client, citizen)
    signed_in = [await client.get(path) for path in _page_paths(app)]
    pages = [r for r in anonymous + signed_in if r.headers.get("content-type", "").startswith("text/html")]
    # Enough pages were really rendered (the home page, sign-in, the account, the API documentation...).
    assert {"/", "/sign-in", "/account", "/docs", "/members"} <= {r.request.url.path for r in pages}
    for response in pages:
        assert_a_protected_page(response)
    # Redirects and error pages too.
    for response in anonymous + signed_in:
        assert response.headers["x-content-type-options"] == "nosniff"
    # A browser's 404 is a page of ours too.
    missing = await client.get("/no/such/page", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert_a_protected_page(missing)


async def test_the_authenticator_page_with_its_qr_code_keeps_the_policy(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    await sign_in(client, citizen)
    page = await client.get("/account/authenticator")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert_a_protected_page(page)


async def test_a_decision_page_keeps_its_own_headers_and_gets_the_platform_policy_too(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    await sign_in(client, citizen)
    page = await client.get("/account/services")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers.get_list("x-frame-options") == ["DENY"]
    assert_a_protected_page(page)


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/assets/security-key.js", "/brand.css"])
async def test_other_responses_are_nosniff_without_a_page_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers
    assert "strict-transport-security" not in response.headers


@pytest.fixture
async def https_client(settings: Settings, connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    deployed = {
        "public_url": "https://id.example.gov",
        "secret_key": SecretStr("deployed-secret-" * 3),
        "brand_logo_url": "https://cdn.example.gov/logo.svg",
    }
    configured = settings.model_copy(update=deployed)
    app = create_app(configured, database=database_on(connection, configured))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client
    await app.state.database.dispose()


async def test_on_https_every_response_asks_for_https_from_then_on(https_client: httpx.AsyncClient) -> None:
    for path in ("/", "/healthz", "/assets/security-key.js", "/no/such/page"):
        response = await https_client.get(path)
        assert response.headers["strict-transport-security"] == "max-age=31536000", path
    page = await https_client.get("/")
    assert_a_protected_page(page)
    # The configured logo is the one image from elsewhere the policy allows.
    images = _directives(page.headers["content-security-policy"])["img-src"]
    assert images == ["'self'", "data:", "https://cdn.example.gov"]
