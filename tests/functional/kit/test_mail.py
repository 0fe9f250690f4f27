"""Mail goes out over real SMTP: the mailer sends to the development mailbox, which `/dev/mail` shows; a
mail server that is not there is a clear 503, and the page does not exist in production."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from govhub.app import create_app
from govhub.config import Environment
from govhub.kit.mail import Mail, Mailer, MailNotSent
from tests.conftest import make_settings
from tests.support.keys import TEST_LEDGER_KEY
from tests.support.mail import free_port, running_mailbox

HTML = {"Accept": "text/html"}


async def test_sent_mail_arrives_over_smtp_and_is_listed(database_url: str) -> None:
    with running_mailbox() as mailbox:
        settings = make_settings(
            database_url, smtp_port=mailbox.port, mail_from="govhub <no-reply@example.org>"
        )
        await Mailer(settings).send(
            Mail("ann@example.org", "Confirm your email address", "Your code: 123 456")
        )
        await Mailer(settings).send(Mail("bob@example.org", "Second", "Ünïcödé ✓\nsecond line"))
        [second, first] = mailbox.mails()
        assert first.recipients == ("ann@example.org",)
        assert first.sender == "no-reply@example.org"
        assert (first.subject, first.text.strip()) == ("Confirm your email address", "Your code: 123 456")
        assert second.text.strip() == "Ünïcödé ✓\nsecond line"

        app = create_app(settings)
        app.state.dev_mailbox = mailbox
        async with _client(app) as client:
            listed = (await client.get("/dev/mail")).json()
            assert [mail["subject"] for mail in listed] == ["Second", "Confirm your email address"]
            assert listed[1]["to"] == ["ann@example.org"]
            page = (await client.get("/dev/mail", headers=HTML)).text
            assert "Confirm your email address" in page
            assert "Your code: 123 456" in page
        await app.state.database.dispose()


async def test_no_mail_server_is_a_clear_503(database_url: str) -> None:
    settings = make_settings(database_url, smtp_port=free_port())
    with pytest.raises(MailNotSent) as raised:
        await Mailer(settings).send(Mail("ann@example.org", "Hello", "text"))
    assert raised.value.status == 503
    assert f"127.0.0.1:{settings.smtp_port} did not take the message" in raised.value.detail


async def test_the_mailbox_page_says_when_it_is_not_running(database_url: str) -> None:
    app = create_app(make_settings(database_url))
    async with _client(app) as client:
        page = (await client.get("/dev/mail", headers=HTML)).text
        assert "The development mailbox is not running" in page
        assert (await client.get("/dev/mail")).json() == []
    await app.state.database.dispose()


async def test_there_is_no_mailbox_in_production(database_url: str) -> None:
    settings = make_settings(
        database_url,
        environment=Environment.PRODUCTION,
        secret_key="x" * 40,
        ledger_signing_key=TEST_LEDGER_KEY,
        dev_mailbox=True,
    )
    assert not settings.runs_dev_mailbox
    app = create_app(settings)
    async with _client(app) as client:
        assert (await client.get("/dev/mail")).status_code == 404
    await app.state.database.dispose()


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
