"""The account page: details, factors, devices; signing out one device or all of them; and the session
interface the OpenID Connect provider uses (`current_sign_in`, `end_sessions`)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from govhub.config import Settings
from govhub.identity.accounts import sessions
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.pages.account import browser_name
from govhub.identity.accounts.repository import IdentityRepository
from govhub.kit.clock import utcnow
from tests.functional.identity.account_support import (
    create_citizen,
    hidden_fields,
    recovery_codes_in,
    sign_in,
    submit,
)

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _browser(client: httpx.AsyncClient, user_agent: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=client._transport,
        base_url="http://testserver",
        headers={"user-agent": user_agent},
    )


async def test_the_account_page_needs_a_signed_in_browser(client: httpx.AsyncClient) -> None:
    answer = await client.get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?return_to=%2Faccount&level=Cl"


async def test_the_account_page_shows_details_factors_devices_and_links(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    async with _browser(client, CHROME) as phone:
        await sign_in(phone, citizen)
        await sign_in(client, citizen, ahead=1)
        page = await client.get("/account")
    assert page.status_code == 200
    for text in (
        citizen.email,
        "Not proved",
        "Set up",
        "0 of 10 left",
        "Chrome on Linux",
        "This device",
        'href="/account/services"',
        'href="/account/prove-identity?return_to=%2Faccount"',
    ):
        assert text in page.text, text
    assert page.text.count("Sign out this device") == 2


async def test_signing_out_another_device_leaves_this_one(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    async with _browser(client, CHROME) as phone:
        await sign_in(phone, citizen)
        await sign_in(client, citizen)
        page = await client.get("/account")
        phone_sid = (
            await session.scalars(select(SignInSession.sid).where(SignInSession.user_agent == CHROME))
        ).one()
        out = await client.post(
            "/account/devices/sign-out",
            data={**hidden_fields(page.text, "/account/devices/sign-out"), "sid": phone_sid},
        )
        assert out.headers["location"] == "/account"
        assert (await phone.get("/account")).status_code == 303
        assert (await client.get("/account")).status_code == 200


async def test_another_accounts_session_cannot_be_signed_out(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ann = await create_citizen(session, settings, with_app=False)
    bob = await create_citizen(session, settings, "bob@example.org", with_app=False)
    async with _browser(client, CHROME) as bobs:
        await sign_in(bobs, bob)
        bob_sid = (await session.scalars(select(SignInSession.sid))).one()
        await sign_in(client, ann)
        page = await client.get("/account")
        await client.post(
            "/account/devices/sign-out",
            data={**hidden_fields(page.text, "/account/devices/sign-out"), "sid": bob_sid},
        )
        assert (await bobs.get("/account")).status_code == 200


async def test_sign_out_everywhere_ends_every_session(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    async with _browser(client, CHROME) as phone:
        await sign_in(phone, citizen)
        await sign_in(client, citizen)
        out = await submit(client, "/account", "/account/sign-out-everywhere", {})
        assert out.headers["location"] == "/signed-out"
        assert (await phone.get("/account")).status_code == 303
        assert (await client.get("/account")).status_code == 303
    assert (await session.scalars(select(SignInSession))).all() == []


async def test_new_recovery_codes_need_two_factors(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    first = recovery_codes_in((await submit(client, "/account", "/account/recovery-codes", {})).text)
    second = recovery_codes_in((await submit(client, "/account", "/account/recovery-codes", {})).text)
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    signed_in = (await session.scalars(select(SignInSession))).one()
    signed_in.auth_level = "Cl"
    await session.flush()
    stepped = await submit(client, "/account", "/account/recovery-codes", {})
    assert stepped.status_code == 303
    assert stepped.headers["location"] == "/sign-in?return_to=%2Faccount&level=Cl.Cm"


def _request_with_cookie(app: FastAPI, token: str | None) -> Request:
    headers = [(b"cookie", f"govhub_session={token}".encode())] if token else []
    return Request(
        {"type": "http", "app": app, "headers": headers, "path": "/", "method": "GET", "query_string": b""}
    )


async def test_current_sign_in_and_end_sessions_for_the_provider(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, identity_level="P2")
    first = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    half_way = _request_with_cookie(app, client.cookies["govhub_session"])
    assert await sessions.current_sign_in(half_way, session) is None  # awaiting the code
    assert first.status_code == 303
    await sign_in(client, citizen, ahead=1)
    signed_in = await sessions.current_sign_in(
        _request_with_cookie(app, client.cookies["govhub_session"]), session
    )
    assert signed_in is not None
    account = (await session.scalars(select(Account))).one()
    assert (signed_in.account_id, signed_in.account_public_id, signed_in.email) == (
        account.id,
        account.public_id,
        citizen.email,
    )
    assert (signed_in.auth_level, signed_in.identity_level) == ("Cl.Cm", "P2")
    assert len(signed_in.sid) == 43
    assert await sessions.current_sign_in(_request_with_cookie(app, None), session) is None
    assert await sessions.current_sign_in(_request_with_cookie(app, "x" * 500), session) is None
    await sessions.end_sessions(session, [signed_in.sid])
    assert (
        await sessions.current_sign_in(_request_with_cookie(app, client.cookies["govhub_session"]), session)
        is None
    )


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (CHROME, "Chrome on Linux"),
        ("Mozilla/5.0 (Windows NT 10.0; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Safari/604.1",
            "Safari on iPhone",
        ),
        ("", "Unknown browser"),
        ("curl/8.0", "curl/8.0"),
    ],
)
def test_devices_are_named_as_people_know_them(user_agent: str, shown: str) -> None:
    assert browser_name(user_agent) == shown


async def test_sessions_that_ran_out_are_removed_at_the_next_sign_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    async with _browser(client, CHROME) as old:
        await sign_in(old, citizen)
        await session.execute(update(SignInSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        await sign_in(client, citizen)
    left = (await session.scalars(select(SignInSession.user_agent))).all()
    assert CHROME not in left
    assert len(left) == 1


async def test_account_pages_are_not_cached(client: httpx.AsyncClient) -> None:
    for path in ("/sign-in", "/sign-up", "/password-reset"):
        assert (await client.get(path)).headers["cache-control"] == "no-store"


async def test_marking_a_session_seen_after_it_ended_elsewhere_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """The last-seen time is written with a plain UPDATE: a session deleted meanwhile (signed out on
    another device, or swept when it timed out) is simply not there to update, never an error."""
    citizen = await create_citizen(session, settings, with_app=False)
    await sign_in(client, citizen)
    sign_in_row = (await session.scalars(select(SignInSession))).one()
    await session.execute(delete(SignInSession).where(SignInSession.id == sign_in_row.id))
    later = utcnow() + timedelta(minutes=5)
    await IdentityRepository(session).mark_session_seen(sign_in_row, later)
    assert sign_in_row.last_seen_at == later
    await session.flush()
    assert (await session.scalars(select(SignInSession))).all() == []
