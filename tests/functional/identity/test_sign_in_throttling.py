"""Guessing is throttled per address typed, per account and per client address, in the database: a 429
page that says how long to wait, even for the right password while the limit holds."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import throttle
from govhub.identity.accounts.models import ThrottleEvent
from tests.functional.identity.account_support import create_citizen, fresh_code, submit


async def _try(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await submit(client, "/sign-in", "/sign-in", {"email": email, "password": password})


async def test_five_wrong_passwords_stop_even_the_right_one_for_a_while(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    for _ in range(throttle.SIGN_IN_PER_EMAIL.most):
        assert (await _try(client, citizen.email, "a wrong password")).status_code == 422
    refused = await _try(client, citizen.email, citizen.password)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts" in refused.text
    assert "wait 15 minutes" in refused.text
    assert "govhub_session" not in refused.headers.get("set-cookie", "")


async def test_an_unknown_address_is_throttled_just_the_same(client: httpx.AsyncClient) -> None:
    for _ in range(throttle.SIGN_IN_PER_EMAIL.most):
        assert (await _try(client, "nobody@example.org", "a wrong password")).status_code == 422
    assert (await _try(client, "NOBODY@example.org", "a wrong password")).status_code == 429


async def test_a_success_clears_the_count_for_the_address(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, with_app=False)
    for _ in range(throttle.SIGN_IN_PER_EMAIL.most - 1):
        await _try(client, citizen.email, "a wrong password")
    assert (await _try(client, citizen.email, citizen.password)).status_code == 303
    counted = await session.scalar(
        select(func.count()).select_from(ThrottleEvent).where(ThrottleEvent.action == "sign-in")
    )
    assert counted == 0


async def test_one_client_guessing_at_many_addresses_is_throttled(client: httpx.AsyncClient) -> None:
    for number in range(throttle.SIGN_IN_PER_CLIENT.most):
        await _try(client, f"person{number}@example.org", "a wrong password")
    refused = await _try(client, "someone.else@example.org", "a wrong password")
    assert refused.status_code == 429


async def test_wrong_codes_are_throttled_per_account(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    assert citizen.secret is not None
    first = await _try(client, citizen.email, citizen.password)
    code_page = first.headers["location"]
    for _ in range(throttle.CODE_PER_ACCOUNT.most):
        assert (await submit(client, code_page, "/sign-in/code", {"code": "000000"})).status_code == 422
    refused = await submit(client, code_page, "/sign-in/code", {"code": fresh_code(citizen.secret)})
    assert refused.status_code == 429
    assert "too many codes entered" in refused.text
