"""Signing in through the pages: password, code, recovery code, step-up, return_to, sign out, sessions."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import sessions
from govhub.identity.accounts.models import SignInSession
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest
from tests.functional.identity.account_support import (
    create_citizen,
    fresh_code,
    recovery_codes_in,
    sign_in,
    submit,
)

WRONG = "The email address or password is not right"


async def test_a_citizen_signs_in_with_password_and_code(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    done = await sign_in(client, citizen)
    assert done.status_code == 303
    assert done.headers["location"] == "/account"
    account = await client.get("/account")
    assert account.status_code == 200
    assert citizen.email in account.text
    assert "Password and code" in account.text


async def test_the_sign_in_form_names_its_fields_for_password_managers(client: httpx.AsyncClient) -> None:
    page = await client.get("/sign-in")
    assert page.status_code == 200
    assert 'autocomplete="email"' in page.text
    assert 'autocomplete="current-password"' in page.text
    assert 'name="csrf_token"' in page.text


async def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    wrong = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": "not the password"}
    )
    unknown = await submit(
        client, "/sign-in", "/sign-in", {"email": "nobody@example.org", "password": "whatever"}
    )
    for answer in (wrong, unknown):
        assert answer.status_code == 422
        assert WRONG in answer.text
        assert "There is a problem" in answer.text
        assert "govhub_session" not in answer.headers.get("set-cookie", "")
    assert (await client.get("/account")).status_code == 303


async def test_empty_fields_are_named(client: httpx.AsyncClient) -> None:
    answer = await submit(client, "/sign-in", "/sign-in", {"email": " ", "password": ""})
    assert answer.status_code == 422
    assert "Enter your email address" in answer.text
    assert "Enter your password" in answer.text
    assert 'href="#email"' in answer.text


async def test_a_wrong_or_reused_code_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    assert citizen.secret is not None
    first = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    code_page = first.headers["location"]
    # Half-way (awaiting the code) is not signed in.
    assert (await client.get("/account")).status_code == 303
    wrong = await submit(client, code_page, "/sign-in/code", {"code": "000000"})
    assert wrong.status_code == 422
    assert "The code is not right" in wrong.text
    empty = await submit(client, code_page, "/sign-in/code", {"code": ""})
    assert empty.status_code == 422
    assert "Enter the code" in empty.text
    code = fresh_code(citizen.secret)
    assert (await submit(client, code_page, "/sign-in/code", {"code": code})).status_code == 303

    # The same code again, from another browser after the password: refused.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        again = await submit(
            other, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
        )
        reused = await submit(other, again.headers["location"], "/sign-in/code", {"code": code})
        assert reused.status_code == 422


async def test_a_password_only_account_signs_in_at_one_factor(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    done = await sign_in(client, citizen)
    assert done.headers["location"] == "/account"
    assert "Password only" in (await client.get("/account")).text


async def test_step_up_from_one_factor_asks_for_the_code_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    assert citizen.secret is not None
    await sign_in(client, citizen)
    await session.execute(update(SignInSession).values(auth_level="Cl"))
    before = client.cookies["govhub_session"]
    wanted = "/authorize?client_id=parking&state=x"
    asked = await client.get("/sign-in", params={"return_to": wanted, "level": "Cl.Cm"})
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/sign-in/code?")
    stepped = await submit(
        client, asked.headers["location"], "/sign-in/code", {"code": fresh_code(citizen.secret, ahead=1)}
    )
    assert stepped.status_code == 303
    assert stepped.headers["location"] == wanted
    assert client.cookies["govhub_session"] != before  # a new token at step-up
    sid = (await session.scalars(select(SignInSession.sid))).one()
    signed_in = await client.get("/sign-in", params={"return_to": wanted, "level": "Cl.Cm"})
    assert signed_in.headers["location"] == wanted
    assert sid  # the session (and its sid) goes on at the higher level


async def test_step_up_for_an_account_without_an_app_sets_one_up(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    answer = await submit(
        client,
        "/sign-in?return_to=/authorize%3Fx%3D1&level=Cl.Cm",
        "/sign-in",
        {
            "email": citizen.email,
            "password": citizen.password,
            "return_to": "/authorize?x=1",
            "level": "Cl.Cm",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/account/authenticator?return_to=")
    setup = await client.get(answer.headers["location"])
    assert "needs a second step" in setup.text


@pytest.mark.parametrize(
    "return_to",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0a/evil",
    ],
)
async def test_return_to_never_leaves_the_site(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, return_to: str
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    answer = await submit(
        client,
        "/sign-in",
        "/sign-in",
        {"email": citizen.email, "password": citizen.password, "return_to": return_to},
    )
    location = answer.headers["location"]
    assert location == "/account" or (location.startswith("/") and not location.startswith("//")), location
    assert "evil" not in location or location.startswith("/%0a")
    # Already signed in: the sign-in page sends the browser on, to this site only.
    again = await client.get("/sign-in", params={"return_to": return_to})
    assert again.headers["location"] in {"/account", return_to}
    assert not again.headers["location"].startswith(("//", "/\\", "http", "javascript"))


async def test_an_unknown_level_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.get("/sign-in", params={"level": "Cl.Cm.P2"}, headers={"accept": "text/html"})
    assert answer.status_code == 400
    assert "must be one of Cl, Cl.Cm" in answer.text


async def test_a_recovery_code_works_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    assert citizen.secret is not None
    await sign_in(client, citizen)
    made = await submit(client, "/account", "/account/recovery-codes", {})
    assert made.status_code == 200
    codes = recovery_codes_in(made.text)
    assert len(codes) == 10
    assert (await submit(client, "/account", "/sign-out", {})).status_code == 303

    first = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    used = await submit(
        client, first.headers["location"], "/sign-in/code", {"code": codes[0].upper().replace("-", " ")}
    )
    assert used.status_code == 303
    assert "9 of 10 left" in (await client.get("/account")).text
    await submit(client, "/account", "/sign-out", {})
    second = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    again = await submit(client, second.headers["location"], "/sign-in/code", {"code": codes[0]})
    assert again.status_code == 422


async def test_the_session_cookie_is_new_at_sign_in_so_a_planted_one_is_useless(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    client.cookies.set("govhub_session", "planted-by-an-attacker-0123456789abcdef", domain="testserver.local")
    first = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    half_way = client.cookies["govhub_session"]
    assert half_way != "planted-by-an-attacker-0123456789abcdef"
    assert citizen.secret is not None
    await submit(client, first.headers["location"], "/sign-in/code", {"code": fresh_code(citizen.secret)})
    signed_in = client.cookies["govhub_session"]
    assert signed_in not in {half_way, "planted-by-an-attacker-0123456789abcdef"}
    stored = (await session.scalars(select(SignInSession))).one()
    assert stored.token_hash == secret_digest(signed_in)  # only the hash is kept
    assert signed_in not in stored.token_hash


async def test_the_session_cookie_is_http_only_and_same_site(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    answer = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("govhub_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert "max-age" not in cookie  # gone when the browser closes


async def test_an_idle_or_old_session_signs_in_nobody(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    await sign_in(client, citizen)
    assert (await client.get("/account")).status_code == 200
    idle = utcnow() - sessions.IDLE_TIMEOUT - timedelta(seconds=1)
    await session.execute(update(SignInSession).values(last_seen_at=idle))
    assert (await client.get("/account")).status_code == 303
    await session.execute(update(SignInSession).values(last_seen_at=utcnow(), expires_at=utcnow()))
    assert (await client.get("/account")).status_code == 303


async def test_signing_out_ends_the_session(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    kept = client.cookies["govhub_session"]
    out = await submit(client, "/account", "/sign-out", {})
    assert out.status_code == 303
    assert out.headers["location"] == "/signed-out"
    assert "You have signed out" in (await client.get("/signed-out")).text
    assert (await session.scalars(select(SignInSession))).all() == []
    client.cookies.set(
        "govhub_session", kept, domain="testserver.local"
    )  # the old cookie, kept by someone: worthless now
    assert (await client.get("/account")).status_code == 303
