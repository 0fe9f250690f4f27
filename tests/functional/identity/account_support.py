"""Shared by the account pages' tests: accounts made directly, forms read and posted as a browser would
(with the CSRF field from the page), an app that sends mail to a mailbox of its own, links from mail.
Citizens come from the factory, tests.factories.identity, re-exported here for the tests that import them
from this module."""

from __future__ import annotations

import html as htmllib
import re
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from govhub.app import create_app
from govhub.config import Settings
from govhub.identity.accounts import totp
from govhub.kit.dev_mailbox import DevMailbox
from tests.factories.identity import PASSWORD as PASSWORD  # noqa: PLC0414 (re-exported for older importers)
from tests.factories.identity import Citizen as Citizen  # noqa: PLC0414 (re-exported for older importers)
from tests.factories.identity import create_citizen as create_citizen  # noqa: PLC0414 (re-exported for older importers)
from tests.support.databases import database_on
from tests.support.mail import running_mailbox

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
_LINK = re.compile(r"(https?://\S+)")


def fresh_code(secret: str, *, ahead: int = 0) -> str:
    """A code for `secret`, `ahead` steps on (each code is accepted once; the window allows one ahead)."""
    return totp.totp(secret, time.time() + 30 * ahead)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's first form that posts to `action` (the CSRF field among them)."""
    form = re.search(r'<form method="post" action="' + re.escape(action) + r'".*?</form>', html, re.DOTALL)
    assert form is not None, f"the page has no form posting to {action}"
    return {
        name: htmllib.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0))
    }


async def submit(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Opens `page`, then posts its form to `action` with `data` typed in, as a browser would."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={**hidden_fields(shown.text, action), **data})


def recovery_codes_in(html: str) -> list[str]:
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", html)


async def sign_in(client: httpx.AsyncClient, citizen: Citizen, *, ahead: int = 0) -> httpx.Response:
    """Password, then the code when the account has an app; the last response (a 303 onwards)."""
    answer = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    assert answer.status_code == 303, answer.text
    if citizen.secret is None:
        return answer
    location = answer.headers["location"]
    assert location.startswith("/sign-in/code")
    return await submit(client, location, "/sign-in/code", {"code": fresh_code(citizen.secret, ahead=ahead)})


def link_in(mail_text: str) -> str:
    found = _LINK.search(mail_text)
    assert found is not None, mail_text
    return found.group(1)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def mailbox() -> Iterator[DevMailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
async def mail_app(
    settings: Settings, connection: AsyncConnection, mailbox: DevMailbox
) -> AsyncIterator[FastAPI]:
    """The real app, sending mail over SMTP to `mailbox`; its units of work join the test's transaction."""
    configured = settings.model_copy(update={"smtp_port": mailbox.port})
    app = create_app(configured, database=database_on(connection, configured))
    yield app
    await app.state.database.dispose()


@pytest.fixture
async def mail_client(mail_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mail_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
