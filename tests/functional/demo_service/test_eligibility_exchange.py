"""The demo exchange end to end: a citizen signs in to the council's parking-permit service, which asks the
NHS trust's blue badge provider (a real server on a loopback port) through govhub's gateway, on the citizen's
behalf: its subsystem's own client_credentials token, X-Road-Client, X-Road-Purpose and the citizen's
access token (issued to the demo service, which is linked to that subsystem, with the person's consent to
`govhub:exchange-on-behalf`), from which the gateway names the person to the trust by their id for the
trust's member. The exchange is in the message log, about that person, with its purpose. Refusals and a
provider that is down are explained on the page."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.demo_providers import network
from govhub.demo_providers.blue_badge.app import create_app as create_provider
from govhub.demo_providers.blue_badge.records import Record, Records
from govhub.demo_providers.blue_badge.settings import ELIGIBILITY_ENDPOINT, BlueBadgeSettings
from govhub.demo_service.app import create_app as create_demo_service
from govhub.demo_service.keys import new_key, public_jwks
from govhub.demo_service.registration import registration
from govhub.demo_service.settings import PURPOSE, DemoServiceSettings
from govhub.exchange.gateway.forwarding import Forwarder
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.oidc.clients.service import register_client
from govhub.identity.oidc.subjects import Subjects
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from govhub.members.xroad_ids import parse_service_id
from tests.functional.demo_service.test_demo_service import DEMO_URL, ByHost
from tests.support.live_server import free_port, serve_in_thread
from tests.support.oidc_journey import Person, create_person, sign_in

SERVICE = "GOVHUB-DEV/NHS/RDEMO1/blue-badge/eligibility"
COUNCIL = "GOVHUB-DEV/GOV/E07000999/parking-permits"
FREE = "You qualify for a free permit: blue badge holder."
HOLDER = Record(eligible=True, reason="pip-mobility", badge_holder=True, valid_until="2028-03-31")
_REFERENCE = re.compile(r"reference ([0-9a-f-]{36})")


@pytest.fixture(autouse=True)
async def forwarder_closed(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan closes its forwarder; in process, without a lifespan, this does."""
    yield
    forwarder: Forwarder | None = getattr(app.state, "gateway_forwarder", None)
    if forwarder is not None:
        await forwarder.aclose()


def _unlink(path: str) -> None:
    Path(path).unlink()


@pytest.fixture
async def person(session: AsyncSession, settings: Settings) -> tuple[Person, str, str]:
    """A citizen with a matched identity, their public id (kept in the message log) and their id for the
    trust's member (the X-Road-UserId the trust sees)."""
    person = await create_person(session, settings, matched=True)
    account = await IdentityRepository(session).account_by_email(person.email)
    assert account is not None
    trust_user_id = Subjects(settings).exchange_user_id(
        provider_member=SERVICE.rsplit("/", 2)[0], account_public_id=account.public_id
    )
    return person, account.public_id, trust_user_id


@pytest.fixture
async def demo(app: FastAPI, settings: Settings, session: AsyncSession, tmp_path: Path) -> FastAPI:
    key = new_key()
    demo_settings = DemoServiceSettings(
        _env_file=None,
        issuer_url=settings.public_url,
        gateway_url=settings.public_url,
        public_url=DEMO_URL,
        private_jwk=json.dumps(key.as_dict(private=True)),
        subsystem_key_file=str(tmp_path / "subsystem-key.json"),
    )
    client = registration(demo_settings)
    client.jwks_uri, client.jwks = None, public_jwks(key)
    await register_client(session, client)
    apps: dict[str, FastAPI] = {}
    demo = create_demo_service(demo_settings, transport=ByHost(apps))
    apps.update({"127.0.0.1:8000": app, "127.0.0.1:8001": demo})
    return demo


@pytest.fixture
async def browser(demo: FastAPI, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = ByHost({"127.0.0.1:8000": app, "127.0.0.1:8001": demo})
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_URL) as client:
        yield client


@contextmanager
def trust(
    records: dict[str, Record],
    directory: Path,
    *,
    environment: str = "development",
    jwks: dict[str, Any] | None = None,
) -> Iterator[tuple[BlueBadgeSettings, str]]:
    """The trust's provider served on a loopback port (its JWKS, in production, from `jwks`); the records
    `govhub demo load` writes go to a temporary file, the provider answers from `records`."""
    port = free_port()
    settings = BlueBadgeSettings(
        _env_file=None,
        records_file=str(directory / "records.json"),
        platform_url="http://127.0.0.1:8000",
        public_url=f"http://127.0.0.1:{port}",
        service_id=SERVICE,
        environment=environment,
    )
    keys = httpx.MockTransport(lambda _request: httpx.Response(200, json=jwks or {"keys": []}))
    with serve_in_thread(
        create_provider(settings, transport=keys, records=Records(None, records)), port
    ) as url:
        yield settings, url


async def _platform_keys(app: FastAPI) -> dict[str, Any]:
    """The platform's JWKS, which the provider checks the gateway's assertions against."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://govhub") as client:
        keys: dict[str, Any] = (await client.get("/.well-known/jwks.json")).json()
    return keys


async def _load(
    session: AsyncSession, settings: Settings, demo: FastAPI, provider: BlueBadgeSettings
) -> None:
    await network.load(session, settings, demo.state.settings, provider)
    await session.flush()


async def _apply_page(browser: httpx.AsyncClient, person: Person) -> httpx.Response:
    callback = await sign_in(browser, f"{DEMO_URL}/check-identity", person, stop_at=f"{DEMO_URL}/callback")
    back = await browser.get(str(callback))
    assert back.status_code == 303, back.text
    page = await browser.get(back.headers["location"])
    assert page.status_code == 200, page.text
    return page


async def test_the_council_asks_the_trust_through_the_gateway_for_the_signed_in_citizen(
    app: FastAPI,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    demo: FastAPI,
    person: tuple[Person, str, str],
    tmp_path: Path,
) -> None:
    with trust({person[2]: HOLDER}, tmp_path, jwks=await _platform_keys(app)) as (provider, _url):
        await _load(session, settings, demo, provider)
        page = await _apply_page(browser, person[0])
        assert 'data-eligibility="free"' in page.text
        assert FREE in page.text

        # Asked once per sign-in: the page again does not ask again.
        message_id = _REFERENCE.search(page.text)
        assert message_id is not None
        again = await browser.get("/apply")
        assert message_id.group(1) in again.text

    record = await ExchangeRepository(session).by_message_id(message_id.group(1))
    assert record is not None
    assert (record.status, record.outcome) == (200, "ok")
    assert (record.client_id, record.service_id) == (COUNCIL, SERVICE)
    assert (record.user_id, record.purpose) == (person[1], PURPOSE)
    assert record.path == "/eligibility"

    # The citizen sees it in their data tracker, on govhub's own page (their session): who asked and why.
    data_use = await browser.get(f"{settings.public_url}/account/data-use")
    assert data_use.status_code == 200, data_use.text
    assert message_id.group(1) in data_use.text
    assert PURPOSE in data_use.text
    # The council's token of the person lets it ask the trust, not read who else used the person's data.
    token = next(s.person.access_token for s in demo.state.sessions._sessions.values() if s.person)
    tracker = await client.get("/exchange/tracker", headers={"Authorization": f"Bearer {token}"})
    assert (tracker.status_code, tracker.json()["error"]) == (403, "insufficient_scope")

    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = await browser.post(
        "/apply", data={"csrf_token": csrf, "vehicle_registration": "AB12CDE", "zone": "A"}
    )
    assert sent.status_code == 303
    assert "Your permit is free" in (await browser.get("/apply/done")).text


async def test_a_citizen_without_a_badge_pays(
    app: FastAPI,
    browser: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    demo: FastAPI,
    person: tuple[Person, str, str],
    tmp_path: Path,
) -> None:
    # Someone else holds a badge; this person is unknown to the trust (its 404).
    with trust(
        {"0b6f5d6c-1b7e-4b71-9d0e-5f4a7d1c2b3a": HOLDER}, tmp_path, jwks=await _platform_keys(app)
    ) as (provider, _url):
        await _load(session, settings, demo, provider)
        page = await _apply_page(browser, person[0])
    assert 'data-eligibility="charged"' in page.text
    assert FREE not in page.text


async def test_a_provider_that_is_down_is_explained_and_the_person_can_still_apply(
    browser: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    demo: FastAPI,
    person: tuple[Person, str, str],
    tmp_path: Path,
) -> None:
    down = BlueBadgeSettings(
        _env_file=None,
        public_url=f"http://127.0.0.1:{free_port()}",
        service_id=SERVICE,
        records_file=str(tmp_path / "records.json"),
    )
    await _load(session, settings, demo, down)
    page = await _apply_page(browser, person[0])
    assert 'data-eligibility="unknown"' in page.text
    assert "not available right now" in page.text
    assert "You can still apply" in page.text
    assert 'name="vehicle_registration"' in page.text


async def test_a_right_revoked_is_explained(
    app: FastAPI,
    browser: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    demo: FastAPI,
    person: tuple[Person, str, str],
    tmp_path: Path,
) -> None:
    with trust({person[2]: HOLDER}, tmp_path, jwks=await _platform_keys(app)) as (provider, _url):
        await _load(session, settings, demo, provider)
        await ServicesService(session).revoke(
            COMMAND_LINE_ACTOR, parse_service_id(SERVICE), COUNCIL, ELIGIBILITY_ENDPOINT
        )
        page = await _apply_page(browser, person[0])
    assert 'data-eligibility="unknown"' in page.text
    assert "does not let us check" in page.text
    assert FREE not in page.text


async def test_without_its_key_the_council_cannot_ask_and_says_so(
    app: FastAPI,
    browser: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    demo: FastAPI,
    person: tuple[Person, str, str],
    tmp_path: Path,
) -> None:
    with trust({person[2]: HOLDER}, tmp_path, jwks=await _platform_keys(app)) as (provider, _url):
        await _load(session, settings, demo, provider)
        _unlink(demo.state.settings.subsystem_key_file)
        demo.state.gateway._key = None  # as a restarted demo service would be
        page = await _apply_page(browser, person[0])
    assert 'data-eligibility="unknown"' in page.text
    assert "could not reach the NHS trust" in page.text


async def test_a_provider_in_production_answers_only_with_the_gateways_assertion(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    demo: FastAPI,
    person: tuple[Person, str, str],
    tmp_path: Path,
) -> None:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    with trust({person[2]: HOLDER}, tmp_path, environment="production", jwks=jwks) as (provider, url):
        await _load(session, settings, demo, provider)
        # Through the gateway, which signs its assertion: answered.
        answered = await _apply_page(browser, person[0])
        assert FREE in answered.text
        # Straight to the provider, even naming the citizen as the gateway would: refused.
        async with httpx.AsyncClient(base_url=url) as direct:
            refused = await direct.get(
                "/eligibility", headers={"X-Road-UserId": person[2], "X-Road-Client": COUNCIL}
            )
        assert refused.status_code == 403, refused.text
