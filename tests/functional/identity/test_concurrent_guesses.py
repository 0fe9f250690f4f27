"""Guesses sent all at once, to two app nodes that share only the database, are throttled as if they came
one by one: at most the limit are evaluated, the rest are refused (issue 14, finding 9: counted after the
password hash, 30 concurrent wrong passwords had 19 evaluated against a limit of 5).

A database of its own whose writes really commit (`migrated_url`), as a deployment's do: each node has its
own engine and pool, so on PostgreSQL the requests run on separate connections in READ COMMITTED."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from govhub.app import create_app
from govhub.db import Database
from govhub.identity.accounts import throttle
from govhub.identity.accounts.models import ThrottleEvent
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.proving.service import (
    MAX_FAILED_ATTEMPTS,
    IdentityClaim,
    Outcome,
    attempts_remaining,
    prove_identity,
)
from govhub.kit import csrf
from tests.conftest import make_settings
from tests.functional.identity.account_support import Citizen, create_citizen, fresh_code, hidden_fields
from tests.support.proving import create_births_register

GUESSES = 30
GUESSES_OF_MAIL = 20


@pytest.fixture
async def nodes(migrated_url: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two app nodes on one database, each with a client; the clients share one browser's cookies."""
    settings = make_settings(migrated_url)
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            app = create_app(settings)
            stack.push_async_callback(app.state.database.dispose)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://testserver")
                )
            )
        yield clients


async def _citizen(url: str, *, with_app: bool) -> Citizen:
    settings = make_settings(url)
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            return await create_citizen(session, settings, with_app=with_app)
    finally:
        await database.dispose()


async def _events(url: str, action: str) -> int:
    database = Database(make_settings(url))
    try:
        async with database.sessions() as session:
            counted = await session.scalar(
                select(func.count()).select_from(ThrottleEvent).where(ThrottleEvent.action == action)
            )
            return int(counted or 0)
    finally:
        await database.dispose()


def _share_cookies(nodes: list[httpx.AsyncClient]) -> None:
    for other in nodes[1:]:
        other.cookies = nodes[0].cookies


async def _all_at_once(nodes: list[httpx.AsyncClient], action: str, form: dict[str, str]) -> Counter[int]:
    answers = await asyncio.gather(*(nodes[n % len(nodes)].post(action, data=form) for n in range(GUESSES)))
    return Counter(answer.status_code for answer in answers)


async def test_thirty_wrong_passwords_at_once_have_at_most_five_evaluated(
    nodes: list[httpx.AsyncClient], migrated_url: str
) -> None:
    citizen = await _citizen(migrated_url, with_app=False)
    page = await nodes[0].get("/sign-in")
    _share_cookies(nodes)
    form = {**hidden_fields(page.text, "/sign-in"), "email": citizen.email, "password": "a wrong password"}

    statuses = await _all_at_once(nodes, "/sign-in", form)

    # 422 is "the email address or password is not right": a password checked. 429 is refused unchecked.
    limit = throttle.SIGN_IN_PER_EMAIL.most
    assert statuses[422] <= limit, statuses
    assert statuses[422] + statuses[429] == GUESSES, statuses
    assert await _events(migrated_url, "sign-in") == statuses[422]
    # And the right password, now, is refused too while the limit holds.
    right = await nodes[1].post("/sign-in", data={**form, "password": citizen.password})
    assert right.status_code == 429


async def test_thirty_wrong_codes_at_once_have_at_most_five_evaluated(
    nodes: list[httpx.AsyncClient], migrated_url: str
) -> None:
    citizen = await _citizen(migrated_url, with_app=True)
    assert citizen.secret is not None
    page = await nodes[0].get("/sign-in")
    answer = await nodes[0].post(
        "/sign-in",
        data={**hidden_fields(page.text, "/sign-in"), "email": citizen.email, "password": citizen.password},
    )
    assert answer.status_code == 303
    code_page = await nodes[0].get(answer.headers["location"])
    _share_cookies(nodes)
    form = {**hidden_fields(code_page.text, "/sign-in/code"), "code": "000000"}

    statuses = await _all_at_once(nodes, "/sign-in/code", form)

    limit = throttle.CODE_PER_ACCOUNT.most
    assert statuses[422] <= limit, statuses
    assert statuses[422] + statuses[429] == GUESSES, statuses
    right = await nodes[1].post("/sign-in/code", data={**form, "code": fresh_code(citizen.secret)})
    assert right.status_code == 429


async def test_a_right_password_takes_its_attempt_back(
    nodes: list[httpx.AsyncClient], migrated_url: str
) -> None:
    """Counted first, a right guess must not use up the limit: it is taken back, from every key."""
    citizen = await _citizen(migrated_url, with_app=False)
    for _ in range(throttle.SIGN_IN_PER_CLIENT.most + 2):
        page = await nodes[0].get("/sign-in")
        signed_in = await nodes[0].post(
            "/sign-in",
            data={
                **hidden_fields(page.text, "/sign-in"),
                "email": citizen.email,
                "password": citizen.password,
            },
        )
        assert signed_in.status_code == 303
        await nodes[0].post("/sign-out", data={csrf.FIELD: hidden_fields(page.text, "/sign-in")[csrf.FIELD]})
    assert await _events(migrated_url, "sign-in") == 0
    assert await _events(migrated_url, "sign-in-client") == 0


async def test_twenty_wrong_identity_claims_at_once_have_at_most_five_tried(migrated_url: str) -> None:
    """Proving counts its failed attempts per account the same way: checked, then counted, they all went
    through; each unit of work now holds the account from its count to its commit."""
    settings = make_settings(migrated_url)
    nodes = [Database(settings), Database(settings)]
    try:
        async with nodes[0].sessions() as session, session.begin():
            await create_births_register(session, settings)
            account = await IdentityService.for_session(session, settings).create_account(
                NewAccount("zoe@example.org", "correct horse battery staple")
            )
        wrong = IdentityClaim("Zoey", "O'Brien-Archer", date(1987, 3, 14), "B100001")

        async def attempt(database: Database) -> Outcome:
            async with database.unit_of_work() as unit:
                return (await prove_identity(unit, settings, account.id, wrong)).outcome

        outcomes = Counter(await asyncio.gather(*(attempt(nodes[n % 2]) for n in range(20))))
        assert outcomes[Outcome.NOT_MATCHED] <= MAX_FAILED_ATTEMPTS, outcomes
        assert outcomes[Outcome.NOT_MATCHED] + outcomes[Outcome.THROTTLED] == 20, outcomes
        async with nodes[0].sessions() as session:
            left, _ = await attempts_remaining(session, account.id)
        assert left == 0
    finally:
        for database in nodes:
            await database.dispose()


async def test_twenty_password_resets_at_once_send_at_most_three_mails(
    nodes: list[httpx.AsyncClient], migrated_url: str
) -> None:
    citizen = await _citizen(migrated_url, with_app=False)
    page = await nodes[0].get("/password-reset")
    _share_cookies(nodes)
    form = {**hidden_fields(page.text, "/password-reset"), "email": citizen.email}
    answers = await asyncio.gather(
        *(nodes[n % 2].post("/password-reset", data=form) for n in range(GUESSES_OF_MAIL))
    )
    statuses = Counter(answer.status_code for answer in answers)
    # Past the throttle a mail is sent: 200 "check your email", or 503 here, where no mail server listens.
    # Refused, it is 429 and nothing is sent.
    sent = GUESSES_OF_MAIL - statuses[429]
    assert sent <= throttle.MAIL_PER_EMAIL.most, statuses
    assert set(statuses) <= {200, 503, 429}, statuses
    assert await _events(migrated_url, "mail") == sent
