"""Sign up through the pages with mail over real SMTP: the link, the authenticator app, recovery codes;
and what goes wrong: bad input, reused and expired links, an address that has an account, too much mail."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import totp
from govhub.identity.accounts.models import Account, EmailToken
from govhub.identity.accounts.pages.sign_up import qr_code_svg
from govhub.kit.clock import utcnow
from govhub.kit.dev_mailbox import DevMailbox
from tests.functional.identity import account_support
from tests.functional.identity.account_support import (
    PASSWORD,
    create_citizen,
    hidden_fields,
    link_in,
    path_of,
    recovery_codes_in,
    submit,
)

# The mail-sending app and its mailbox, as fixtures of this module.
mailbox = account_support.mailbox
mail_app = account_support.mail_app
mail_client = account_support.mail_client


async def _sign_up(client: httpx.AsyncClient, email: str, return_to: str = "") -> httpx.Response:
    page = "/sign-up" + (f"?return_to={return_to}" if return_to else "")
    return await submit(client, page, "/sign-up", {"email": email, "password": PASSWORD})


def _assert_shows_the_key(page: str, secret: str, otpauth_uri: str) -> None:
    """The enrolment page shows the key three ways: a QR code of the otpauth:// URI (an inline SVG with a
    text alternative), the key as text for whoever cannot scan it, and a link that opens the app."""
    link = re.search(r'href="(otpauth://totp/[^"]+)"', page)
    assert link is not None
    assert html.unescape(link.group(1)) == otpauth_uri
    assert qr_code_svg(otpauth_uri) in page
    other_key = totp.provisioning_uri(totp.new_secret(), "new.person@example.org", "govhub")
    assert qr_code_svg(other_key) not in page
    assert 'role="img" aria-label="QR code holding the key shown below' in page
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page


async def test_sign_up_confirm_set_up_the_app_and_keep_recovery_codes(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox, session: AsyncSession, settings: Settings
) -> None:
    form = await mail_client.get("/sign-up")
    assert 'autocomplete="new-password"' in form.text
    sent = await _sign_up(mail_client, "New.Person@Example.org", "/authorize?client_id=parking")
    assert sent.status_code == 200
    assert "Check your email" in sent.text
    assert (await session.scalar(select(Account).where(Account.email == "new.person@example.org"))) is None

    [mail] = mailbox.mails()
    assert mail.recipients == ("new.person@example.org",)
    assert mail.subject == "Confirm your email address"
    url = link_in(mail.text)
    token_row = (await session.scalars(select(EmailToken))).one()
    assert token_row.token_hash not in url  # only the hash is kept
    confirm = await mail_client.get(path_of(url))
    assert confirm.status_code == 200
    assert "Confirm your email address" in confirm.text
    # Opening the link (as a mail scanner would) uses nothing up.
    assert (await mail_client.get(path_of(url))).status_code == 200

    confirmed = await mail_client.post("/sign-up/verify", data=hidden_fields(confirm.text, "/sign-up/verify"))
    assert confirmed.status_code == 303
    setup_path = confirmed.headers["location"]
    assert setup_path.startswith("/account/authenticator?return_to=%2Fauthorize")
    account = await session.scalar(select(Account).where(Account.email == "new.person@example.org"))
    assert account is not None
    assert account.email_verified_at is not None

    setup = await mail_client.get(setup_path)
    assert setup.status_code == 200
    fields = hidden_fields(setup.text, "/account/authenticator")
    secret = fields["secret"]
    otpauth_uri = totp.provisioning_uri(secret, "new.person@example.org", settings.brand_name)
    _assert_shows_the_key(setup.text, secret, otpauth_uri)
    assert 'autocomplete="one-time-code"' in setup.text
    wrong = await mail_client.post("/account/authenticator", data={**fields, "code": "123"})
    assert wrong.status_code == 422
    assert "Enter the 6-digit code" in wrong.text
    _assert_shows_the_key(wrong.text, secret, otpauth_uri)  # the same key again
    done = await mail_client.post("/account/authenticator", data={**fields, "code": totp.totp(secret)})
    assert done.status_code == 200
    codes = recovery_codes_in(done.text)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert 'href="/authorize?client_id=parking"' in done.text
    await session.refresh(account)
    assert account.totp_secret is not None
    assert secret not in account.totp_secret  # sealed at rest
    page = await mail_client.get("/account")
    assert "10 of 10 left" in page.text
    assert "Password and code" in page.text


async def test_bad_details_are_named_and_nothing_is_sent(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox
) -> None:
    answer = await submit(
        mail_client, "/sign-up", "/sign-up", {"email": "not an address", "password": "short"}
    )
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert "Enter an email address like name@example.org" in answer.text
    assert "A password needs at least 15 characters" in answer.text
    assert 'value="not an address"' in answer.text  # what was typed is kept
    empty = await submit(mail_client, "/sign-up", "/sign-up", {"email": "", "password": ""})
    assert "Enter your email address" in empty.text
    assert "Create a password" in empty.text
    assert mailbox.mails() == []


async def test_a_link_works_once(mail_client: httpx.AsyncClient, mailbox: DevMailbox) -> None:
    await _sign_up(mail_client, "once@example.org")
    confirm = await mail_client.get(path_of(link_in(mailbox.mails()[0].text)))
    fields = hidden_fields(confirm.text, "/sign-up/verify")
    assert (await mail_client.post("/sign-up/verify", data=fields)).status_code == 303
    again = await mail_client.post("/sign-up/verify", data=fields)
    assert again.status_code == 400
    assert "This link cannot be used" in again.text
    assert (await mail_client.get(path_of(link_in(mailbox.mails()[0].text)))).status_code == 400
    unknown = await mail_client.get("/sign-up/verify", params={"token": "made-up"})
    assert unknown.status_code == 400


async def test_an_expired_or_superseded_link_cannot_be_used(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox, session: AsyncSession
) -> None:
    await _sign_up(mail_client, "late@example.org")
    first = path_of(link_in(mailbox.mails()[0].text))
    await _sign_up(mail_client, "late@example.org")
    second = path_of(link_in(mailbox.mails()[0].text))
    assert (await mail_client.get(first)).status_code == 400  # a newer link was sent
    assert (await mail_client.get(second)).status_code == 200
    await session.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await mail_client.get(second)).status_code == 400


async def test_an_address_with_an_account_gets_a_mail_saying_so_and_the_same_page(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings)
    answer = await _sign_up(mail_client, citizen.email)
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    [mail] = mailbox.mails()
    assert "already has one" in mail.text
    assert (await session.scalars(select(EmailToken))).all() == []


async def test_sign_up_mail_is_throttled(mail_client: httpx.AsyncClient, mailbox: DevMailbox) -> None:
    for _ in range(3):
        assert (await _sign_up(mail_client, "flood@example.org")).status_code == 200
    refused = await _sign_up(mail_client, "flood@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "wait 60 minutes" in refused.text
    assert len(mailbox.mails()) == 3
