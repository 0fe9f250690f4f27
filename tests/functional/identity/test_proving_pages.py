"""The proving and organisations pages through HTTP on the backend under test: the wrong caller is sent to
sign in, forms need their CSRF token, bad input is named field by field, a match goes back where asked."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import sessions
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.organisations.service import NewOrganisation, OrganisationsService
from govhub.identity.proving.service import MAX_FAILED_ATTEMPTS, verified_identity
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest
from tests.support.proving import create_births_register

PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html"}
ZOE = {
    "given-name": "Zoe",
    "family-name": "O'Brien-Archer",
    "date-of-birth-day": "14",
    "date-of-birth-month": "3",
    "date-of-birth-year": "1987",
    "registration-number": "B100001",
}


async def sign_in(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient, email: str
) -> Account:
    """A signed-in browser: a session made as the sign-in pages make one, its cookie in `client`."""
    account = await IdentityService.for_session(session, settings).create_account(NewAccount(email, PASSWORD))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SignInSession(
            sid=secrets.token_urlsafe(32),
            token_hash=secret_digest(token),
            account_id=account.id,
            auth_level="Cl",
            created_at=now,
            authenticated_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=1),
            user_agent="test",
            ip_address="127.0.0.1",
        )
    )
    await session.flush()
    client.cookies.set(sessions.COOKIE, token)
    return account


async def csrf_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path, headers=HTML)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found[1]


async def test_people_not_signed_in_are_sent_to_sign_in_and_back(client: httpx.AsyncClient) -> None:
    for path in ("/account/prove-identity?return_to=/authorize%3Fclient_id%3Dx", "/account/organisations"):
        response = await client.get(path, headers=HTML)
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/sign-in"
        back = parse_qs(location.query)["return_to"][0]
        assert back.startswith(path.split("?")[0])
    posted = await client.post("/account/prove-identity", data=ZOE, headers=HTML)
    assert posted.status_code == 403  # no CSRF token: refused before anything else
    # A signed-in session of someone else's browser is not this one: a made-up cookie signs nobody in.
    client.cookies.set(sessions.COOKIE, secrets.token_urlsafe(32))
    assert (await client.get("/account/organisations", headers=HTML)).status_code == 303


async def test_a_matching_person_proves_their_identity_and_goes_back(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    await create_births_register(session, settings)
    account = await sign_in(session, settings, client, "zoe@example.org")
    form = await client.get(
        "/account/prove-identity?return_to=/authorize%3Fclient_id%3Dparking", headers=HTML
    )
    assert form.status_code == 200
    assert 'autocomplete="bday-day"' in form.text
    assert 'name="return_to" value="/authorize?client_id=parking"' in form.text
    token = await csrf_token(client, "/account/prove-identity")

    proved = await client.post(
        "/account/prove-identity",
        data={**ZOE, "csrf_token": token, "return_to": "/authorize?client_id=parking"},
        headers=HTML,
    )

    assert proved.status_code == 303
    assert proved.headers["location"] == "/authorize?client_id=parking"
    verified = await verified_identity(session, account.id)
    assert verified is not None
    assert verified.record_key == "B100001"
    done = await client.get("/account/prove-identity", headers=HTML)
    assert done.status_code == 200
    assert "You have proved your identity" in done.text
    assert "O&#39;Brien-Archer" in done.text


async def test_another_site_is_never_where_a_match_goes_back_to(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    await create_births_register(session, settings)
    await sign_in(session, settings, client, "zoe@example.org")
    token = await csrf_token(client, "/account/prove-identity")
    proved = await client.post(
        "/account/prove-identity",
        data={**ZOE, "csrf_token": token, "return_to": "//evil.example/steal"},
        headers=HTML,
    )
    assert proved.status_code == 303
    assert proved.headers["location"] == "/account/prove-identity"


async def test_bad_input_is_named_field_by_field_and_counts_no_attempt(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    await create_births_register(session, settings)
    await sign_in(session, settings, client, "zoe@example.org")
    token = await csrf_token(client, "/account/prove-identity")
    bad = {
        "given-name": " ",
        "family-name": "x" * 101,
        "date-of-birth-day": "31",
        "date-of-birth-month": "",
        "date-of-birth-year": "1987",
        "registration-number": "B1<script>",
        "csrf_token": token,
    }

    response = await client.post("/account/prove-identity", data=bad, headers=HTML)

    assert response.status_code == 422
    assert "Error: Prove your identity" in response.text
    for message in (
        "Enter your given name",
        "Your family name must be 100 characters or fewer",
        "Date of birth must include a month",
        "Enter the registration number as it is on your birth certificate",
    ):
        assert message in response.text
    assert 'href="#date-of-birth-month"' in response.text
    assert "&lt;script&gt;" in response.text  # given back, escaped
    for day, month, year, message in (
        ("", "", "", "Enter your date of birth"),
        ("30", "2", "1987", "Date of birth must be a real date"),
        ("1", "1", "2999", "Date of birth must be in the past"),
        ("1", "1", "1850", "Date of birth must be after 1900"),
        ("\uff11", "1", "1987", "Date of birth must be a real date"),
    ):
        dated = {**ZOE, "csrf_token": token}
        dated |= {"date-of-birth-day": day, "date-of-birth-month": month, "date-of-birth-year": year}
        answer = await client.post("/account/prove-identity", data=dated, headers=HTML)
        assert answer.status_code == 422
        assert message in answer.text
    # None of these was a try at matching.
    assert "more time" not in (await client.get("/account/prove-identity", headers=HTML)).text


async def test_details_that_do_not_match_are_said_so_and_throttled(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    await create_births_register(session, settings)
    account = await sign_in(session, settings, client, "zoe@example.org")
    token = await csrf_token(client, "/account/prove-identity")
    wrong = {**ZOE, "date-of-birth-day": "15", "csrf_token": token}

    for attempt in range(1, MAX_FAILED_ATTEMPTS):
        response = await client.post("/account/prove-identity", data=wrong, headers=HTML)
        assert response.status_code == 422
        assert "We could not match these details to a birth registration" in response.text
        left = MAX_FAILED_ATTEMPTS - attempt
        assert f"You can try {left} more time{'s' if left != 1 else ''} today." in response.text
        assert 'value="15"' in response.text  # the details are kept to correct

    last = await client.post("/account/prove-identity", data=wrong, headers=HTML)
    assert last.status_code == 429
    assert int(last.headers["retry-after"]) > 0
    assert "You cannot prove your identity at the moment" in last.text
    # Even the right details are not checked now.
    right = await client.post("/account/prove-identity", data={**ZOE, "csrf_token": token}, headers=HTML)
    assert right.status_code == 429
    assert (await client.get("/account/prove-identity", headers=HTML)).status_code == 429
    assert await verified_identity(session, account.id) is None
    assert account.identity_level == "P0"


async def test_a_forged_form_is_refused(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    await create_births_register(session, settings)
    account = await sign_in(session, settings, client, "zoe@example.org")
    await csrf_token(client, "/account/prove-identity")
    forged = await client.post("/account/prove-identity", data={**ZOE, "csrf_token": "0" * 64}, headers=HTML)
    assert forged.status_code == 403
    assert "go back, reload the page and try again" in forged.text.lower()
    assert await verified_identity(session, account.id) is None


async def test_a_representative_sees_their_organisations(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    await sign_in(session, settings, client, "rep@example.org")
    page = await client.get("/account/organisations", headers=HTML)
    assert page.status_code == 200
    assert "do not act for any organisation" in page.text

    organisations = OrganisationsService.for_session(session)
    await organisations.create_organisation(NewOrganisation("Ambridge Organics Ltd", "SC123456", "company"))
    await organisations.create_organisation(NewOrganisation("Grey Gables Hotel Ltd", "SC654321", "company"))
    await organisations.link("rep@example.org", "SC123456", "director")
    await IdentityService.for_session(session, settings).create_account(
        NewAccount("other@example.org", PASSWORD)
    )
    await organisations.link("other@example.org", "SC654321", "employee")
    page = await client.get("/account/organisations", headers=HTML)
    assert "Ambridge Organics Ltd" in page.text
    assert "Director" in page.text
    assert "SC123456" in page.text
    # Only the signed-in person's own organisations.
    assert "Grey Gables" not in page.text


async def test_without_the_births_register_proving_says_it_is_unavailable(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    account = await sign_in(session, settings, client, "zoe@example.org")
    token = await csrf_token(client, "/account/prove-identity")
    response = await client.post("/account/prove-identity", data={**ZOE, "csrf_token": token}, headers=HTML)
    assert response.status_code == 503
    assert "Identity proving is not available at the moment" in response.text
    assert account.identity_level == "P0"
