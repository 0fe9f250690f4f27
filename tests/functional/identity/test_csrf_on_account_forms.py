"""Every form of the account pages refuses a post without this site's CSRF field, or with one made for
another browser; the refusal is a 403 page that says what to do. Also the cookies' flags on https."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.app import create_app
from govhub.config import Settings
from govhub.identity.accounts.models import SignInSession
from govhub.kit import csrf
from tests.functional.identity.account_support import create_citizen, csrf_of, sign_in
from tests.support.databases import database_on

FORMS = [
    "/sign-up",
    "/sign-up/verify",
    "/sign-in",
    "/sign-in/code",
    "/sign-out",
    "/password-reset",
    "/password-reset/new",
    "/account/authenticator",
    "/account/recovery-codes",
    "/account/devices/sign-out",
    "/account/sign-out-everywhere",
]


@pytest.mark.parametrize("action", FORMS)
async def test_a_post_without_the_csrf_field_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, action: str
) -> None:
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    sessions_before = len((await session.scalars(select(SignInSession))).all())
    missing = await client.post(action, data={"email": citizen.email, "password": citizen.password})
    assert missing.status_code == 403
    assert "reload the page and try again" in missing.json()["detail"]
    # A token made for another browser's cookie does not fit this one.
    wrong = await client.post(action, data={"csrf_token": csrf.token_for("someone else's cookie", settings)})
    assert wrong.status_code == 403
    assert len((await session.scalars(select(SignInSession))).all()) == sessions_before  # nothing changed


async def test_a_post_without_the_cookie_is_refused_with_a_page_for_browsers(
    client: httpx.AsyncClient,
) -> None:
    token = csrf_of((await client.get("/sign-in")).text)
    client.cookies.clear()
    answer = await client.post(
        "/sign-in", data={"csrf_token": token, "email": "a@example.org"}, headers={"accept": "text/html"}
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "This form could not be accepted" in answer.text
    assert "accepts cookies" in answer.text


async def test_the_csrf_cookie_is_set_with_the_first_form_and_kept(client: httpx.AsyncClient) -> None:
    first = await client.get("/sign-in")
    cookie = first.headers["set-cookie"].lower()
    assert cookie.startswith("govhub_csrf=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    second = await client.get("/sign-up")
    assert "set-cookie" not in second.headers
    assert csrf_of(first.text) == csrf_of(second.text)


@pytest.fixture
async def https_client(settings: Settings, connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    # A secret of its own: the development key never serves beyond loopback (`Settings.exposure_problem`).
    deployed = {"public_url": "https://id.example.gov", "secret_key": SecretStr("deployed-secret-" * 3)}
    configured = settings.model_copy(update=deployed)
    app = create_app(configured, database=database_on(connection, configured))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client
    await app.state.database.dispose()


async def test_on_https_the_cookies_are_secure_and_host_only(
    https_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    page = await https_client.get("/sign-in")
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("__Host-govhub_csrf=")
    assert "Secure" in csrf_cookie
    answer = await https_client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": citizen.email, "password": citizen.password},
    )
    assert answer.status_code == 303
    session_cookie = answer.headers["set-cookie"]
    assert session_cookie.startswith("__Host-govhub_session=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert flag in session_cookie
    assert "Domain" not in session_cookie
    assert (await https_client.get("/account")).status_code == 200
