"""Sessions that time out (12 hours after they began, or 30 minutes unused) log the services signed in
through them out: the sweep ends them as signing out would, each service with a back-channel logout URI
is sent one logout token with the session's `sid` and its own `sub`, and live sessions are left alone.
Run by the CLI (`deliver-logouts`) and by the app's background loop."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.app import create_app
from govhub.cli.main import cli
from govhub.config import Environment, Settings
from govhub.db import Database, session_factory
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from govhub.identity.oidc.discovery.keys import KeyRing
from govhub.identity.oidc.jose import unverified_parts
from govhub.identity.oidc.logout import delivery as logout_delivery
from govhub.identity.oidc.logout.delivery import (
    BACKCHANNEL_LOGOUT_EVENT,
    deliver_due_logouts,
    end_timed_out_sessions,
)
from govhub.identity.oidc.logout.repository import LogoutRepository
from govhub.identity.oidc.models import AuthorizationCode, ClientSession, LogoutDelivery, RelyingParty
from govhub.identity.oidc.subjects import Subjects
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest
from tests.conftest import make_settings
from tests.functional.identity.account_support import create_citizen, sign_in
from tests.functional.identity.oidc import logout_timeout_support
from tests.functional.identity.oidc.authorize_support import (
    ISSUER,
    authorize_url,
    create_relying_party,
    returned,
)
from tests.functional.identity.oidc.logout_timeout_support import (
    LogoutEndpoint,
    browser_session,
    signed_in_to,
)
from tests.support.oidc import create_account

# A service's back-channel logout endpoint, served for real, as a fixture of this module.
logout_endpoint = logout_timeout_support.logout_endpoint

MINUTE = timedelta(minutes=1)


async def _deliveries(session: AsyncSession) -> list[tuple[str, str, int]]:
    rows = await session.scalars(select(LogoutDelivery).order_by(LogoutDelivery.id))
    return sorted((row.client_id, row.sid, row.account_id) for row in rows.all())


async def _ended(session: AsyncSession, sid: str) -> dict[str, bool]:
    """Each service signed in through `sid`, and whether it is marked signed out."""
    rows = await session.scalars(
        select(ClientSession).where(ClientSession.sid == sid).execution_options(populate_existing=True)
    )
    return {row.client_id: row.ended_at is not None for row in rows.all()}


async def _remaining_sids(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(SignInSession.sid))).all())


async def _verified(session: AsyncSession, settings: Settings, token: str) -> jwt.Token:
    """A logout token, its signature checked against the provider's published keys."""
    jwks = await KeyRing(settings, cache_seconds=0).public_jwks(session)
    return jwt.decode(token, KeySet.import_key_set(jwks))  # type: ignore[arg-type]


def _expected_sub(settings: Settings, client: RelyingParty, account: Account) -> str:
    return Subjects(settings).subject(
        subject_type=client.subject_type,
        sector_identifier=client.sector_identifier,
        account_public_id=account.public_id,
    )


async def test_timed_out_sessions_log_each_service_out_once(
    session: AsyncSession, connection: AsyncConnection, settings: Settings, logout_endpoint: LogoutEndpoint
) -> None:
    permits = await create_relying_party(session, backchannel_logout_uri=logout_endpoint.uri)
    library = await create_relying_party(
        session,
        "library-cards",
        backchannel_logout_uri=logout_endpoint.uri,
        sector_identifier="library.anytown.example",
    )
    await create_relying_party(session, "no-backchannel")
    alice, bob = await create_account(session), await create_account(session)
    now = utcnow()
    # Past its absolute lifetime although used a minute ago.
    too_old = await browser_session(
        session, alice, started=now - ABSOLUTE_TIMEOUT - MINUTE, last_seen=now - MINUTE
    )
    # Unused for longer than the idle timeout, although begun only two hours ago.
    idle = await browser_session(
        session, bob, started=now - timedelta(hours=2), last_seen=now - IDLE_TIMEOUT - MINUTE
    )
    # A minute short of both limits.
    live = await browser_session(
        session, alice, started=now - ABSOLUTE_TIMEOUT + MINUTE, last_seen=now - IDLE_TIMEOUT + MINUTE
    )
    # Timed out, signed in to nothing: its row goes all the same, as a sign-out's does.
    await browser_session(
        session, bob, started=now - timedelta(hours=13), last_seen=now - timedelta(hours=13)
    )
    await signed_in_to(session, too_old, "parking-permits", "no-backchannel")
    await signed_in_to(session, idle, "parking-permits", "library-cards", "no-backchannel")
    await signed_in_to(session, live, "parking-permits", "no-backchannel")
    sessions = session_factory(connection)

    swept = await end_timed_out_sessions(sessions)

    assert swept.as_json() == {"sessions_ended": 3, "services_signed_out": 5, "logouts_queued": 3}
    assert await _deliveries(session) == sorted(
        [
            ("parking-permits", too_old.sid, alice.id),
            ("parking-permits", idle.sid, bob.id),
            ("library-cards", idle.sid, bob.id),
        ]
    )
    # The service without a back-channel URI is marked signed out all the same; the live session's are not.
    assert await _ended(session, too_old.sid) == {"parking-permits": True, "no-backchannel": True}
    assert await _ended(session, idle.sid) == {
        "parking-permits": True,
        "library-cards": True,
        "no-backchannel": True,
    }
    assert await _ended(session, live.sid) == {"parking-permits": False, "no-backchannel": False}
    assert await _remaining_sids(session) == {live.sid}

    # A second sweep finds nothing more to end, and queues nothing.
    again = await end_timed_out_sessions(sessions)
    assert again.as_json() == {"sessions_ended": 0, "services_signed_out": 0, "logouts_queued": 0}
    assert len(await _deliveries(session)) == 3

    # The logouts go out, one token per service and session, with that session's sid and the service's sub.
    done = await deliver_due_logouts(sessions, settings)
    assert done.as_json() == {"delivered": 3, "failed": 0, "abandoned": 0}
    received = []
    for token in logout_endpoint.received:
        decoded = await _verified(session, settings, token)
        assert decoded.header["typ"] == "logout+jwt"
        claims = decoded.claims
        assert claims["iss"] == ISSUER
        assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
        assert "nonce" not in claims
        received.append((claims["aud"], claims["sid"], claims["sub"]))
    assert sorted(received) == sorted(
        [
            ("parking-permits", too_old.sid, _expected_sub(settings, permits, alice)),
            ("parking-permits", idle.sid, _expected_sub(settings, permits, bob)),
            ("library-cards", idle.sid, _expected_sub(settings, library, bob)),
        ]
    )
    # Pairwise subjects: the same person is someone else to each sector.
    assert _expected_sub(settings, permits, bob) != _expected_sub(settings, library, bob)
    assert (await deliver_due_logouts(sessions, settings)).delivered == 0


async def test_a_session_signed_in_through_the_pages_is_logged_out_when_it_idles(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
    logout_endpoint: LogoutEndpoint,
) -> None:
    """End to end: sign in, sign in to a service, leave the browser unused past the idle timeout."""
    await create_relying_party(session, backchannel_logout_uri=logout_endpoint.uri)
    await sign_in(client, await create_citizen(session, settings))
    answer = returned(await client.get(authorize_url(scope="openid")))
    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(answer["code"]))
    )
    assert code is not None
    sessions = session_factory(connection)
    # Still in use: nothing happens.
    assert (await end_timed_out_sessions(sessions)).sessions_ended == 0
    assert (await client.get("/account/services")).status_code == 200

    await session.execute(
        update(SignInSession)
        .where(SignInSession.sid == code.sid)
        .values(last_seen_at=utcnow() - IDLE_TIMEOUT - MINUTE)
    )
    swept = await end_timed_out_sessions(sessions)
    assert swept.as_json() == {"sessions_ended": 1, "services_signed_out": 1, "logouts_queued": 1}
    assert await _deliveries(session) == [("parking-permits", code.sid, code.account_id)]
    assert (await deliver_due_logouts(sessions, settings)).delivered == 1
    [token] = logout_endpoint.received
    assert (await _verified(session, settings, token)).claims["sid"] == code.sid
    # The browser is signed out too (its session row is gone, as after signing out).
    signed_out = await client.get("/account/services")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/sign-in?")


async def test_the_sweep_works_in_bounded_batches(
    session: AsyncSession, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_relying_party(session, backchannel_logout_uri="http://127.0.0.1:9/logout")
    account = await create_account(session)
    now = utcnow()
    for _ in range(5):
        stale = await browser_session(session, account, started=now - timedelta(hours=13))
        await signed_in_to(session, stale, "parking-permits")
    sessions = session_factory(connection)
    # Two per transaction, two transactions a round: a round ends four, the next the last one.
    monkeypatch.setattr(logout_delivery, "SWEEP_BATCHES_PER_ROUND", 2)
    first = await end_timed_out_sessions(sessions, batch=2)
    assert first.as_json() == {"sessions_ended": 4, "services_signed_out": 4, "logouts_queued": 4}
    second = await end_timed_out_sessions(sessions, batch=2)
    assert second.as_json() == {"sessions_ended": 1, "services_signed_out": 1, "logouts_queued": 1}
    assert len(await _deliveries(session)) == 5
    assert len({sid for _, sid, _ in await _deliveries(session)}) == 5


async def test_a_session_is_ended_only_if_it_has_still_run_out_when_deleted(session: AsyncSession) -> None:
    """Between reading which sessions ran out and deleting them, one may have been used at the last moment
    (SQLite has no row locks) or signed out elsewhere: the delete checks the rule again, and only the
    sessions it deleted are then ended."""
    account = await create_account(session)
    now = utcnow()
    stale = await browser_session(session, account, started=now - timedelta(hours=13))
    fresh = await browser_session(session, account, started=now - timedelta(hours=1))
    sids = [stale.sid, fresh.sid, "signed-out-elsewhere"]
    deleted = await LogoutRepository(session).delete_timed_out(sids, now, now - IDLE_TIMEOUT)
    assert deleted == [stale.sid]
    assert await _remaining_sids(session) == {fresh.sid}


async def _seed_timed_out(database: Database, logout_uri: str) -> str:
    """Committed, as a deployment's data is: a session that ran out, signed in to a service with a
    back-channel logout URI and to one without. Its sid."""
    async with database.sessions() as db, db.begin():
        await create_relying_party(db, backchannel_logout_uri=logout_uri)
        await create_relying_party(db, "no-backchannel")
        account = await create_account(db)
        stale = await browser_session(db, account, started=utcnow() - timedelta(hours=13))
        await signed_in_to(db, stale, "parking-permits", "no-backchannel")
        return stale.sid


def test_the_cli_sweeps_then_delivers(
    runner: CliRunner, migrated_url: str, logout_endpoint: LogoutEndpoint
) -> None:
    async def seed() -> str:
        database = Database(make_settings(migrated_url))
        try:
            return await _seed_timed_out(database, logout_endpoint.uri)
        finally:
            await database.dispose()

    sid = asyncio.run(seed())
    result = runner.invoke(cli, ["identity", "deliver-logouts", "--json"])
    assert result.exit_code == 0, result.output
    # stdout holds only the JSON (logs, such as httpx's line per request, go to stderr).
    assert json.loads(result.stdout) == {
        "sessions_ended": 1,
        "services_signed_out": 2,
        "logouts_queued": 1,
        "delivered": 1,
        "failed": 0,
        "abandoned": 0,
    }
    [token] = logout_endpoint.received
    assert _unverified_sid(token) == sid
    # Nothing left: a second run does nothing, and says so in words without --json.
    again = runner.invoke(cli, ["identity", "deliver-logouts"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        "timed-out sessions ended 0, services signed out 0, logouts queued 0",
        "delivered 0, failed (to retry) 0, abandoned 0",
    ]


def _unverified_sid(token: str) -> str:
    """The sid of a token that a test has already seen verified elsewhere (the first test here)."""
    _, claims = unverified_parts(token, error="invalid_request", what="logout_token")
    sid = claims.get("sid")
    assert isinstance(sid, str)
    return sid


async def test_the_app_sweeps_in_the_background_outside_tests(
    migrated_url: str, logout_endpoint: LogoutEndpoint
) -> None:
    """A development app (as `make run` starts it) ends timed-out sessions and sends their logouts by
    itself, in the delivery loop."""
    settings = make_settings(
        migrated_url, environment=Environment.DEVELOPMENT, oidc_logout_delivery_interval_seconds=0.05
    )
    database = Database(settings)
    try:
        sid = await _seed_timed_out(database, logout_endpoint.uri)
        app = create_app(settings)
        delivered: list[LogoutDelivery] = []
        async with app.router.lifespan_context(app):
            for _ in range(400):  # waits for the background round, up to 20 s; asserts no duration
                async with database.sessions() as db:
                    delivered = list(
                        (
                            await db.scalars(
                                select(LogoutDelivery).where(LogoutDelivery.delivered_at.is_not(None))
                            )
                        ).all()
                    )
                if delivered:
                    break
                await asyncio.sleep(0.05)
        assert [(d.client_id, d.sid) for d in delivered] == [("parking-permits", sid)]
        assert len(logout_endpoint.received) == 1
        assert _unverified_sid(logout_endpoint.received[0]) == sid
        async with database.sessions() as db:
            assert await _remaining_sids(db) == set()
            assert await _ended(db, sid) == {"parking-permits": True, "no-backchannel": True}
    finally:
        await database.dispose()
