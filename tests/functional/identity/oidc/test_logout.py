"""Logout on the backend under test: RP-initiated logout (hint checked, no open redirect, confirmation
without a hint) and back-channel logout tokens delivered to a real HTTP server, retried after a failure,
never sent twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI, Form, Response
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.cli.main import cli
from govhub.config import Settings
from govhub.db import session_factory
from govhub.identity.oidc.discovery.keys import KeyRing, sign_jwt
from govhub.identity.oidc.logout.delivery import (
    BACKCHANNEL_LOGOUT_EVENT,
    LEASE,
    deliver_due_logouts,
    retry_delay,
)
from govhub.identity.oidc.logout.service import sessions_ended
from govhub.identity.oidc.models import AuthorizationCode, ClientSession, LogoutDelivery
from govhub.identity.oidc.subjects import Subjects
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest
from tests.functional.identity.account_support import create_citizen, csrf_of, sign_in
from tests.functional.identity.oidc.authorize_support import (
    ISSUER,
    SIGNED_OUT_URI,
    authorize_url,
    create_relying_party,
    returned,
)
from tests.support.live_server import serve_in_thread

HTML = {"Accept": "text/html"}


@dataclass
class RelyingPartyServer:
    """A service's back-channel logout endpoint: records what it is sent; fails the first `failures`."""

    base_url: str = ""
    received: list[str] = field(default_factory=list)
    failures: int = 0

    @property
    def uri(self) -> str:
        return self.base_url + "/backchannel-logout"


@pytest.fixture
def relying_party_server() -> Iterator[RelyingPartyServer]:
    server = RelyingPartyServer()
    app = FastAPI()

    @app.post("/backchannel-logout")
    async def backchannel_logout(logout_token: str = Form()) -> Response:
        server.received.append(logout_token)
        if len(server.received) <= server.failures:
            return Response("not now", status_code=503)
        return Response(status_code=200)

    with serve_in_thread(app) as base_url:
        server.base_url = base_url
        yield server


async def _signed_in_to_service(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> AuthorizationCode:
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    answer = returned(await client.get(authorize_url(scope="openid")))
    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(answer["code"]))
    )
    assert code is not None
    return code


async def _id_token(
    session: AsyncSession, settings: Settings, code: AuthorizationCode, **overrides: object
) -> str:
    now = int(utcnow().timestamp())
    claims = {
        "iss": ISSUER,
        "aud": code.client_id,
        "sub": "someone",
        "sid": code.sid,
        "iat": now,
        "exp": now + 300,
    }
    return await sign_jwt(session, {**claims, **overrides}, settings=settings)


async def _signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/account/services")
    return response.status_code == 200


async def test_logout_with_a_valid_hint_ends_the_session_and_returns(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    code = await _signed_in_to_service(client, session, settings)
    hint = await _id_token(session, settings, code, exp=int(utcnow().timestamp()) - 600)  # expired is fine
    query = {"id_token_hint": hint, "post_logout_redirect_uri": SIGNED_OUT_URI, "state": "bye"}
    response = await client.get("/logout?" + urlencode(query))
    assert response.status_code == 303
    assert response.headers["location"] == SIGNED_OUT_URI + "?state=bye"
    assert not await _signed_in(client)
    client_session = await session.scalar(select(ClientSession).where(ClientSession.sid == code.sid))
    assert client_session is not None
    assert client_session.ended_at is not None


async def test_post_logout_redirect_uri_must_be_registered(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await create_relying_party(session, "other-service", post_logout_redirect_uris=["https://evil.example/"])
    code = await _signed_in_to_service(client, session, settings)
    hint = await _id_token(session, settings, code)
    cases = [
        {"id_token_hint": hint, "post_logout_redirect_uri": "https://evil.example/"},
        {"client_id": "parking-permits", "post_logout_redirect_uri": SIGNED_OUT_URI + "/../../evil"},
        {"post_logout_redirect_uri": SIGNED_OUT_URI},  # no client named
        {
            "id_token_hint": hint,
            "client_id": "other-service",
            "post_logout_redirect_uri": "https://evil.example/",
        },
        {"id_token_hint": hint[:-4] + "AAAA", "post_logout_redirect_uri": SIGNED_OUT_URI},  # forged
        {"id_token_hint": "not-a-jwt"},
    ]
    for query in cases:
        response = await client.get("/logout?" + urlencode(query), headers=HTML)
        assert response.status_code == 400, query
        assert "location" not in response.headers
    foreign = await _id_token(session, settings, code, iss="https://elsewhere.example")
    response = await client.get("/logout?" + urlencode({"id_token_hint": foreign}), headers=HTML)
    assert response.status_code == 400
    # None of that signed anybody out.
    assert await _signed_in(client)


async def test_logout_without_a_hint_asks_first(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await _signed_in_to_service(client, session, settings)
    query = {"client_id": "parking-permits", "post_logout_redirect_uri": SIGNED_OUT_URI, "state": "s"}
    page = await client.get("/logout?" + urlencode(query))
    assert page.status_code == 200
    assert "Do you want to sign out?" in page.text
    assert await _signed_in(client)

    forged = await client.post("/logout/confirm", data=query, headers=HTML)
    assert forged.status_code == 403
    assert await _signed_in(client)

    confirmed = await client.post("/logout/confirm", data={**query, "csrf_token": csrf_of(page.text)})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == SIGNED_OUT_URI + "?state=s"
    assert not await _signed_in(client)

    # Signed out already, and no return address: a page says so.
    shown = await client.get("/logout")
    assert shown.status_code == 200
    assert "You have signed out" in shown.text


async def test_back_channel_logout_is_delivered_with_a_logout_token(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
    relying_party_server: RelyingPartyServer,
) -> None:
    relying_party = await create_relying_party(session, backchannel_logout_uri=relying_party_server.uri)
    await create_relying_party(session, "no-backchannel")
    code = await _signed_in_to_service(client, session, settings)
    # The other service was signed in through the same session but asked for no back-channel logout.
    session.add(
        ClientSession(
            sid=code.sid, client_id="no-backchannel", account_id=code.account_id, signed_in_at=utcnow()
        )
    )
    await session.flush()

    await sessions_ended(session, [code.sid])
    deliveries = (await session.scalars(select(LogoutDelivery))).all()
    assert [(d.client_id, d.sid, d.uri) for d in deliveries] == [
        ("parking-permits", code.sid, relying_party_server.uri)
    ]
    ended = (await session.scalars(select(ClientSession).where(ClientSession.sid == code.sid))).all()
    assert all(s.ended_at is not None for s in ended)
    # Ending the same sessions again owes nothing more.
    await sessions_ended(session, [code.sid])
    assert len((await session.scalars(select(LogoutDelivery))).all()) == 1

    done = await deliver_due_logouts(session_factory(connection), settings)
    assert done.as_json() == {"delivered": 1, "failed": 0, "abandoned": 0}
    [token] = relying_party_server.received
    jwks = await KeyRing(settings, cache_seconds=0).public_jwks(session)
    decoded = jwt.decode(token, KeySet.import_key_set(jwks))  # type: ignore[arg-type]
    assert decoded.header["typ"] == "logout+jwt"
    claims = decoded.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "parking-permits"
    assert claims["sid"] == code.sid
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert claims["exp"] - claims["iat"] == 120
    assert "nonce" not in claims
    assert claims["jti"]
    from govhub.identity.accounts.models import Account  # noqa: PLC0415

    person = await session.get(Account, code.account_id)
    assert person is not None
    assert claims["sub"] == Subjects(settings).subject(
        subject_type="pairwise",
        sector_identifier=relying_party.sector_identifier,
        account_public_id=person.public_id,
    )
    delivery = (await session.scalars(select(LogoutDelivery).execution_options(populate_existing=True))).one()
    assert delivery.delivered_at is not None
    assert delivery.attempts == 1
    # Nothing more is due.
    assert (await deliver_due_logouts(session_factory(connection), settings)).delivered == 0


async def test_a_failed_delivery_is_retried_later(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
    relying_party_server: RelyingPartyServer,
) -> None:
    relying_party_server.failures = 1
    await create_relying_party(session, backchannel_logout_uri=relying_party_server.uri)
    code = await _signed_in_to_service(client, session, settings)
    await sessions_ended(session, [code.sid])
    sessions = session_factory(connection)

    first = await deliver_due_logouts(sessions, settings)
    assert first.as_json() == {"delivered": 0, "failed": 1, "abandoned": 0}
    delivery = (await session.scalars(select(LogoutDelivery).execution_options(populate_existing=True))).one()
    assert delivery.last_error.startswith("HTTP 503")
    assert delivery.next_attempt_at >= utcnow() + retry_delay(1) - timedelta(seconds=5)
    # Not due yet: a round now sends nothing.
    assert (await deliver_due_logouts(sessions, settings)).as_json() == {
        "delivered": 0,
        "failed": 0,
        "abandoned": 0,
    }
    later = await deliver_due_logouts(
        sessions, settings, now=utcnow() + retry_delay(1) + timedelta(seconds=1)
    )
    assert later.delivered == 1
    assert len(relying_party_server.received) == 2
    # Each attempt carried a token of its own.
    assert relying_party_server.received[0] != relying_party_server.received[1]


async def test_an_unreachable_service_is_abandoned_after_the_last_attempt(
    session: AsyncSession, connection: AsyncConnection, settings: Settings
) -> None:
    from govhub.identity.oidc.logout import delivery as logout_delivery  # noqa: PLC0415

    await create_citizen(session, settings, "gone@example.org")
    from govhub.identity.accounts.models import Account  # noqa: PLC0415

    account = (await session.scalars(select(Account).where(Account.email == "gone@example.org"))).one()
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    await create_relying_party(session, backchannel_logout_uri="http://127.0.0.1:9/logout")
    session.add(
        ClientSession(sid="s" * 43, client_id="parking-permits", account_id=account.id, signed_in_at=utcnow())
    )
    await session.flush()
    await sessions_ended(session, ["s" * 43])
    sessions = session_factory(connection)
    moment = utcnow()
    for _ in range(logout_delivery.MAX_ATTEMPTS):
        moment += logout_delivery.LONGEST_RETRY + timedelta(seconds=1)
        await deliver_due_logouts(sessions, settings, now=moment)
    delivery = (await session.scalars(select(LogoutDelivery).execution_options(populate_existing=True))).one()
    assert delivery.attempts == logout_delivery.MAX_ATTEMPTS
    assert delivery.abandoned_at is not None
    assert delivery.delivered_at is None
    assert "ConnectError" in delivery.last_error


async def test_a_delivery_is_claimed_by_one_node_only(session: AsyncSession, settings: Settings) -> None:
    from govhub.identity.accounts.models import Account  # noqa: PLC0415
    from govhub.identity.oidc.authorize.repository import AuthorizeRepository  # noqa: PLC0415

    await create_citizen(session, settings, "claimed@example.org")
    account = (await session.scalars(select(Account).where(Account.email == "claimed@example.org"))).one()
    now = utcnow()
    delivery = LogoutDelivery(
        client_id="parking-permits",
        account_id=account.id,
        sid="x" * 43,
        uri="http://127.0.0.1:9/",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    repository = AuthorizeRepository(session)
    [(delivery_id, seen)] = await repository.due_deliveries(now, 10)
    assert await repository.claim_delivery(delivery_id, seen, now + LEASE)
    # A second node that read the same row before the claim finds it changed.
    assert not await repository.claim_delivery(delivery_id, seen, now + LEASE)
    assert await repository.due_deliveries(now, 10) == []


def test_the_cli_runs_a_round(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["identity", "deliver-logouts", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "delivered": 0,
        "failed": 0,
        "abandoned": 0,
        "sessions_ended": 0,
        "services_signed_out": 0,
        "logouts_queued": 0,
    }


async def test_the_app_delivers_in_the_background_outside_tests(
    migrated_url: str, relying_party_server: RelyingPartyServer
) -> None:
    """A development app (as `make run` starts it) runs delivery rounds by itself; a test app does not."""
    from govhub.app import create_app  # noqa: PLC0415
    from govhub.config import Environment  # noqa: PLC0415
    from govhub.db import Database  # noqa: PLC0415
    from tests.conftest import make_settings  # noqa: PLC0415

    settings = make_settings(
        migrated_url, environment=Environment.DEVELOPMENT, oidc_logout_delivery_interval_seconds=0.05
    )
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            await create_relying_party(session, backchannel_logout_uri=relying_party_server.uri)
            await create_citizen(session, settings, "background@example.org")
            from govhub.identity.accounts.models import Account  # noqa: PLC0415

            account = (await session.scalars(select(Account))).one()
            session.add(
                ClientSession(
                    sid="b" * 43, client_id="parking-permits", account_id=account.id, signed_in_at=utcnow()
                )
            )
            await session.flush()
            await sessions_ended(session, ["b" * 43])
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            for _ in range(400):  # waits for the background round, up to 20 s; asserts no duration
                async with database.sessions() as session:
                    delivery = (await session.scalars(select(LogoutDelivery))).one()
                if delivery.delivered_at is not None:
                    break
                await asyncio.sleep(0.05)
        assert delivery.delivered_at is not None, (delivery.attempts, delivery.last_error)
        assert len(relying_party_server.received) == 1
    finally:
        await database.dispose()
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "logout-delivery"]


async def test_a_test_app_runs_no_background_delivery(migrated_url: str) -> None:
    from govhub.app import create_app  # noqa: PLC0415
    from tests.conftest import make_settings  # noqa: PLC0415

    app = create_app(make_settings(migrated_url))
    async with app.router.lifespan_context(app):
        assert not [task for task in asyncio.all_tasks() if task.get_name() == "logout-delivery"]
