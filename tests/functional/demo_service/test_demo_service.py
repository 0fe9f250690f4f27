"""The demo service signing people in through govhub, both apps in this process: one browser (an httpx
client keeping cookies) reaches each by its host, the demo service reaches govhub the same way. Start with
two factors, step up to a matched identity, apply, sign out at govhub."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.config import Settings
from govhub.db import session_factory
from govhub.demo_service.app import create_app as create_demo_service
from govhub.demo_service.keys import new_key, public_jwks
from govhub.demo_service.registration import registration
from govhub.demo_service.settings import DemoServiceSettings
from govhub.identity.oidc.clients.service import register_client
from govhub.identity.oidc.logout.delivery import deliver_due_logouts
from tests.support.oidc_journey import (
    MATCHED_FAMILY_NAME,
    MATCHED_GIVEN_NAME,
    Person,
    create_person,
    forms_of,
    sign_in,
)

DEMO_URL = "http://127.0.0.1:8001"


class ByHost(httpx.AsyncBaseTransport):
    """Sends each request to the app serving its host, as the network would."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        #: Read at each request: the demo service is made before the table that routes to it is complete.
        self.apps = apps

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.apps[request.url.netloc.decode()]
        return await httpx.ASGITransport(app=app).handle_async_request(request)


@pytest.fixture
async def demo_service(app: FastAPI, settings: Settings, session: AsyncSession) -> FastAPI:
    key = new_key()
    demo_settings = DemoServiceSettings(
        _env_file=None,
        issuer_url=settings.public_url,
        public_url=DEMO_URL,
        private_jwk=json.dumps(key.as_dict(private=True)),
    )
    # Registered with its keys inline: govhub fetches a jwks_uri over the network, and here there is none.
    client = registration(demo_settings)
    client.jwks_uri, client.jwks = None, public_jwks(key)
    await register_client(session, client)
    await session.flush()
    apps: dict[str, FastAPI] = {}
    demo = create_demo_service(demo_settings, transport=ByHost(apps))
    apps.update({"127.0.0.1:8000": app, "127.0.0.1:8001": demo})
    return demo


@pytest.fixture
async def browser(demo_service: FastAPI, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = ByHost({"127.0.0.1:8000": app, "127.0.0.1:8001": demo_service})
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_URL) as client:
        yield client


async def _signed_in(browser: httpx.AsyncClient, person: Person, start: str) -> httpx.Response:
    callback = await sign_in(browser, f"{DEMO_URL}{start}", person, stop_at=f"{DEMO_URL}/callback")
    back = await browser.get(str(callback))
    assert back.status_code == 303, back.text
    return await browser.get(back.headers["location"])


async def test_a_person_signs_in_steps_up_applies_and_signs_out(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    person = await create_person(session, settings, matched=True)
    start = await browser.get("/")
    assert start.status_code == 200
    assert "Apply for a resident parking permit" in start.text

    application = await _signed_in(browser, person, "/start")
    assert application.status_code == 200
    assert person.email in application.text
    assert "Confirm your identity" in application.text  # signed in at Cl.Cm only: no identity yet

    identity_checked = await _signed_in(browser, person, "/check-identity")
    assert f"{MATCHED_GIVEN_NAME} {MATCHED_FAMILY_NAME}" in identity_checked.text
    assert "10 December 1985" in identity_checked.text
    assert "Cl.Cm.P2" in identity_checked.text

    csrf = identity_checked.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = await browser.post(
        "/apply", data={"csrf_token": csrf, "vehicle_registration": "ab12 cde", "zone": "B"}
    )
    assert sent.status_code == 303
    done = await browser.get("/apply/done")
    assert "AB12CDE" in done.text

    signed_out = await browser.post("/sign-out", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    logout = httpx.URL(signed_out.headers["location"])
    assert str(logout).startswith(f"{settings.public_url}/logout")
    assert logout.params["post_logout_redirect_uri"] == f"{DEMO_URL}/signed-out"
    assert (await browser.get("/apply")).headers["location"] == "/start"


async def test_applying_checks_the_form(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    person = await create_person(session, settings, matched=True)
    page = await _signed_in(browser, person, "/check-identity")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = await browser.post("/apply", data={"csrf_token": csrf, "vehicle_registration": "", "zone": "Q"})
    assert wrong.status_code == 400
    assert "Enter your vehicle registration number" in wrong.text
    assert "Select the permit zone you live in" in wrong.text
    forged = await browser.post(
        "/apply", data={"csrf_token": "not-it", "vehicle_registration": "AB12CDE", "zone": "A"}
    )
    assert forged.status_code == 403


async def test_a_callback_without_a_sign_in_started_here_is_refused(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/callback", params={"code": "made-up", "state": "made-up"})
    assert response.status_code == 400
    assert "You have not been signed in" in response.text


async def test_refusing_consent_says_so(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    person = await create_person(session, settings, matched=True)
    person.consents = False
    callback = await sign_in(browser, f"{DEMO_URL}/check-identity", person, stop_at=f"{DEMO_URL}/callback")
    assert callback.params["error"] == "access_denied"
    page = await browser.get(str(callback))
    assert page.status_code == 400
    assert "You chose not to share your details" in page.text


async def test_back_channel_logout_needs_a_token_signed_by_govhub(browser: httpx.AsyncClient) -> None:
    missing = await browser.post("/backchannel-logout", data={})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    forged_key = new_key()
    forged = jwt.encode(
        {"alg": "ES256", "kid": forged_key.kid},
        {
            "iss": "http://127.0.0.1:8000",
            "aud": "demo-parking-permits",
            "iat": 1,
            "jti": "x",
            "sid": "s",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        },
        forged_key,
    )
    refused = await browser.post("/backchannel-logout", data={"logout_token": forged})
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"


async def test_the_service_publishes_its_public_key_only(browser: httpx.AsyncClient) -> None:
    keys = (await browser.get("/jwks.json")).json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "EC"
    assert "d" not in keys[0]


async def test_signing_out_at_govhub_ends_the_service_session_by_back_channel(
    browser: httpx.AsyncClient,
    demo_service: FastAPI,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    connection: AsyncConnection,
) -> None:
    person = await create_person(session, settings)
    assert (await _signed_in(browser, person, "/start")).status_code == 200
    account = await browser.get(f"{settings.public_url}/account")
    (sign_out,) = [form for form in forms_of(account.text) if form.action == "/sign-out"]
    fields = {name: value for name, value, _kind, _auto in sign_out.inputs}
    assert (await browser.post(f"{settings.public_url}/sign-out", data=fields)).status_code == 303

    # govhub owes the service a logout token; a delivery round sends it (to the service, in process).
    async with httpx.AsyncClient(
        transport=ByHost({"127.0.0.1:8001": demo_service, "127.0.0.1:8000": app})
    ) as http:
        outcome = await deliver_due_logouts(session_factory(connection), settings, http=http)

    assert outcome.delivered == 1
    received = demo_service.state.sessions.logouts
    assert [logout.sessions_ended for logout in received] == [1]
    assert received[0].sid
    assert (await browser.get("/apply")).headers["location"] == "/start"


async def test_signing_out_needs_the_form_from_this_site(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    person = await create_person(session, settings)
    await _signed_in(browser, person, "/start")
    forged = await browser.post("/sign-out", data={"csrf_token": "from-another-site"})
    assert forged.status_code == 403
    assert "Go back, refresh the page and try again" in forged.text
    assert (await browser.get("/apply")).status_code == 200  # still signed in
