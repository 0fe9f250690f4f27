"""Issue 14, finding 4: `offline_access` is asked on the consent page and recorded with the consent
(OpenID Connect Core §11); a person's refresh tokens (and the access tokens that may still be live) are
revoked when they sign out everywhere or reset their password, at once for every app node; and a person can
withdraw any service they signed in to, consent or not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.app import create_app
from govhub.config import Settings
from govhub.identity.oidc.models import (
    ClientSession,
    ConsentGrant,
    ConsentRevision,
    LogoutDelivery,
    RefreshToken,
)
from govhub.kit.clock import utcnow
from govhub.kit.dev_mailbox import DevMailbox
from tests.functional.identity import account_support
from tests.functional.identity.account_support import (
    create_citizen,
    csrf_of,
    hidden_fields,
    link_in,
    path_of,
    sign_in,
    submit,
)
from tests.functional.identity.oidc.authorize_support import create_relying_party
from tests.functional.identity.oidc.grant_support import account_of, authorize, bearer, redeem, refresh
from tests.support.databases import database_on

# The mail-sending app and its mailbox (password reset), as fixtures of this module.
mailbox = account_support.mailbox
mail_app = account_support.mail_app
mail_client = account_support.mail_client

HTML = {"Accept": "text/html"}
OFFLINE = "Keeping this access while you are not using the service"
BACKCHANNEL = "https://library.anytown.example/backchannel-logout"


@pytest.fixture
async def other_node(settings: Settings, connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    """A second app node on the same database, with caches of its own."""
    app: FastAPI = create_app(settings, database=database_on(connection, settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as node:
        yield node
    await app.state.database.dispose()


async def _offline_tokens(client: httpx.AsyncClient) -> dict[str, str]:
    tokens = await redeem(client, await authorize(client, scope="openid email offline_access"))
    assert "refresh_token" in tokens
    return tokens


async def test_offline_access_is_asked_on_the_consent_page_and_recorded(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await sign_in(client, await create_citizen(session, settings))
    # The person already shares their email address with the service.
    first = await authorize(client, scope="openid email")
    assert first.consent_page is not None
    assert "refresh_token" not in await redeem(client, first)

    # Asking for offline access as well is asked about, on its own: it is not granted silently.
    journey = await authorize(client, scope="openid email offline_access")

    assert journey.consent_page is not None
    assert OFFLINE in journey.consent_page.text
    assert "Your email address" not in journey.consent_page.text
    tokens = await redeem(client, journey)
    assert "refresh_token" in tokens
    assert tokens["scope"] == "openid email offline_access"
    grant = (await session.scalars(select(ConsentGrant))).one()
    assert grant.scopes == ["email", "offline_access"]
    revisions = (await session.scalars(select(ConsentRevision).order_by(ConsentRevision.id))).all()
    assert [r.scopes for r in revisions] == [["email"], ["email", "offline_access"]]
    # Remembered like any other consent.
    assert (await authorize(client, scope="openid email offline_access")).consent_page is None


async def test_refusing_offline_access_gives_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await sign_in(client, await create_citizen(session, settings))

    journey = await authorize(client, scope="openid offline_access", decision="refuse")

    assert journey.answer["error"] == "access_denied"
    assert (await session.scalars(select(RefreshToken))).all() == []


async def test_a_silent_request_gets_no_offline_access_without_consent(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await sign_in(client, await create_citizen(session, settings))
    await redeem(client, await authorize(client, scope="openid email"))

    # prompt=none cannot show the consent page: §11 has the provider ignore offline_access then.
    journey = await authorize(client, scope="openid email offline_access", prompt="none")

    assert journey.consent_page is None
    tokens = await redeem(client, journey)
    assert "refresh_token" not in tokens
    assert tokens["scope"] == "openid email"


async def test_signing_out_everywhere_revokes_every_token_on_every_node(
    client: httpx.AsyncClient, other_node: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await create_relying_party(session, "library", name="Renew a library book")
    await sign_in(client, await create_citizen(session, settings))
    permits = await _offline_tokens(client)
    library = await redeem(client, await authorize(client, "library", scope="openid"), "library")
    # Another node has checked the access token and keeps it as checked.
    assert (await other_node.get("/userinfo", headers=bearer(permits["access_token"]))).status_code == 200
    rotated = (await refresh(other_node, permits["refresh_token"])).json()
    assert "refresh_token" in rotated

    account_page = await client.get("/account")
    signed_out = await client.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_of(account_page.text)}
    )
    assert signed_out.status_code == 303

    for node in (client, other_node):
        refused = await refresh(node, rotated["refresh_token"])
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
        for token in (rotated["access_token"], permits["access_token"], library["access_token"]):
            answer = await node.get("/userinfo", headers=bearer(token))
            assert answer.status_code == 401, answer.text
    account = await account_of(session)
    live = await session.scalars(
        select(RefreshToken).where(RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None))
    )
    assert live.all() == []


async def test_a_password_reset_revokes_every_token(
    mail_client: httpx.AsyncClient, mailbox: DevMailbox, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    await sign_in(mail_client, citizen)
    tokens = await _offline_tokens(mail_client)

    await submit(mail_client, "/password-reset", "/password-reset", {"email": citizen.email})
    [mail] = mailbox.mails()
    form = await mail_client.get(path_of(link_in(mail.text)))
    done = await mail_client.post(
        "/password-reset/new",
        data={**hidden_fields(form.text, "/password-reset/new"), "password": "a brand new password for it"},
    )
    assert done.status_code == 200, done.text

    refused = await refresh(mail_client, tokens["refresh_token"])
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert (await mail_client.get("/userinfo", headers=bearer(tokens["access_token"]))).status_code == 401


async def test_a_service_with_no_consent_can_be_withdrawn(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await create_relying_party(
        session, "library", name="Renew a library book", backchannel_logout_uri=BACKCHANNEL
    )
    await sign_in(client, await create_citizen(session, settings))
    permits = await _offline_tokens(client)
    # Signed in to the library with `openid` alone: nothing to consent to, so no consent row.
    library = await redeem(client, await authorize(client, "library", scope="openid"), "library")
    account = await account_of(session)
    assert (
        await session.scalars(select(ConsentGrant).where(ConsentGrant.client_id == "library"))
    ).all() == []

    page = await client.get("/account/services")
    assert "Renew a library book" in page.text
    assert 'aria-label="Withdraw access from Renew a library book"' in page.text
    withdrawn = await client.post(
        "/account/services/withdraw", data={"csrf_token": csrf_of(page.text), "client_id": "library"}
    )
    assert withdrawn.status_code == 303, withdrawn.text

    # The library is signed out (back-channel logout owed) and its token is worthless.
    assert (await client.get("/userinfo", headers=bearer(library["access_token"]))).status_code == 401
    sessions = (
        await session.scalars(select(ClientSession).where(ClientSession.client_id == "library"))
    ).all()
    assert [s.ended_at is not None for s in sessions] == [True]
    deliveries = (await session.scalars(select(LogoutDelivery))).all()
    assert [(d.client_id, d.account_id) for d in deliveries] == [("library", account.id)]
    after = await client.get(withdrawn.headers["location"])
    assert "You withdrew your consent" in after.text
    assert "Withdraw access from Renew a library book" not in after.text
    # The other service, and govhub's own session, are untouched.
    assert (await client.get("/userinfo", headers=bearer(permits["access_token"]))).status_code == 200
    assert (await refresh(client, permits["refresh_token"])).status_code == 200


async def test_a_service_keeping_only_refresh_tokens_is_listed_and_withdrawn(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session, "library", name="Renew a library book")
    await sign_in(client, await create_citizen(session, settings))
    account = await account_of(session)
    now = utcnow()
    # Issued before offline access needed consent: no consent row, no session still open.
    session.add(
        RefreshToken(
            token_hash="a" * 64,
            family_id="legacy-family",
            client_id="library",
            account_id=account.id,
            sid="s" * 43,
            scope="openid offline_access",
            vot="Cl.Cm",
            created_at=now,
            expires_at=now + timedelta(days=30),
        )
    )
    await session.flush()

    page = await client.get("/account/services")
    assert "Renew a library book" in page.text
    withdrawn = await client.post(
        "/account/services/withdraw", data={"csrf_token": csrf_of(page.text), "client_id": "library"}
    )

    assert withdrawn.status_code == 303
    token = (await session.scalars(select(RefreshToken).execution_options(populate_existing=True))).one()
    assert token.revoked_at is not None


async def test_a_person_cannot_withdraw_what_is_not_theirs(
    client: httpx.AsyncClient, other_node: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    victim = await create_citizen(session, settings, "victim@example.org")
    await sign_in(other_node, victim)
    victims = await _offline_tokens(other_node)
    await sign_in(client, await create_citizen(session, settings, "mallory@example.org"))

    assert "No service is signed in" in (await client.get("/account/services")).text
    page = await client.get("/account")  # a form of hers, for a CSRF token
    for client_id in ("parking-permits", "no-such-service"):
        answer = await client.post(
            "/account/services/withdraw",
            data={"csrf_token": csrf_of(page.text), "client_id": client_id},
            headers=HTML,
        )
        assert answer.status_code == 400

    assert (await refresh(other_node, victims["refresh_token"])).status_code == 200
