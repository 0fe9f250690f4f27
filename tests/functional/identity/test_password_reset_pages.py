"""Password reset by email: the link, the new password, every other session ended; and unknown addresses,
reused and expired links, a weak new password."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.models import EmailToken, SignInSession
from govhub.kit.clock import utcnow
from govhub.kit.dev_mailbox import DevMailbox
from tests.functional.identity import account_support
from tests.functional.identity.account_support import (
    Citizen,
    create_citizen,
    hidden_fields,
    link_in,
    path_of,
    sign_in,
    submit,
)

# The mail-sending app and its mailbox, as fixtures of this module.
mailbox = account_support.mailbox
mail_app = account_support.mail_app
mail_client = account_support.mail_client

NEW_PASSWORD = "a brand new password for the test"


async def _ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await submit(client, "/password-reset", "/password-reset", {"email": email})


async def test_a_reset_link_sets_a_new_password_and_signs_out_everywhere(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    other = httpx.AsyncClient(transport=mail_client._transport, base_url="http://testserver")
    async with other:
        await sign_in(other, citizen)
        assert (await other.get("/account")).status_code == 200
        asked = await _ask(mail_client, citizen.email.upper())
        assert asked.status_code == 200
        assert "If there is an account" in asked.text
        [mail] = mailbox.mails()
        assert mail.subject == "Reset your password"
        form = await mail_client.get(path_of(link_in(mail.text)))
        assert form.status_code == 200
        assert 'autocomplete="new-password"' in form.text
        weak = await mail_client.post(
            "/password-reset/new",
            data={**hidden_fields(form.text, "/password-reset/new"), "password": "short"},
        )
        assert weak.status_code == 422
        assert "at least 15 characters" in weak.text
        done = await mail_client.post(
            "/password-reset/new",
            data={**hidden_fields(form.text, "/password-reset/new"), "password": NEW_PASSWORD},
        )
        assert done.status_code == 200
        assert "Your password has been changed" in done.text
        assert (await other.get("/account")).status_code == 303  # signed out there
        assert (await session.scalars(select(SignInSession))).all() == []
        reused = await mail_client.post(
            "/password-reset/new",
            data={**hidden_fields(form.text, "/password-reset/new"), "password": NEW_PASSWORD},
        )
        assert reused.status_code == 400
    old = await submit(
        mail_client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    assert old.status_code == 422
    # The second factor still stands: a reset by email gives one factor, not two.
    renewed = Citizen(citizen.email, NEW_PASSWORD, citizen.secret)
    assert (await sign_in(mail_client, renewed, ahead=1)).status_code == 303


async def test_an_unknown_address_gets_the_same_page_and_no_mail(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox
) -> None:
    answer = await _ask(mail_client, "nobody@example.org")
    assert answer.status_code == 200
    assert "If there is an account for nobody@example.org" in answer.text
    assert mailbox.mails() == []
    bad = await _ask(mail_client, "nobody")
    assert bad.status_code == 422
    assert "Enter an email address like name@example.org" in bad.text


async def test_an_expired_link_cannot_be_used(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    await _ask(mail_client, citizen.email)
    path = path_of(link_in(mailbox.mails()[0].text))
    form = await mail_client.get(path)
    await session.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await mail_client.get(path)).status_code == 400
    late = await mail_client.post(
        "/password-reset/new",
        data={**hidden_fields(form.text, "/password-reset/new"), "password": NEW_PASSWORD},
    )
    assert late.status_code == 400
    assert "Ask for a new link" in late.text


async def test_reset_mail_is_throttled_for_known_and_unknown_addresses_alike(
    mail_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    for email in (citizen.email, "nobody@example.org"):
        for _ in range(3):
            assert (await _ask(mail_client, email)).status_code == 200
        refused = await _ask(mail_client, email)
        assert refused.status_code == 429
        assert "Too many attempts" in refused.text
