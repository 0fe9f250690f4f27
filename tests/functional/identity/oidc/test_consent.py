"""Consent grants on the backend under test: remembered per (account, service), listed on the account's
services page with the services signed in to, withdrawn there (CSRF-checked), and the history kept."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.models import Account
from govhub.identity.oidc.authorize.repository import AuthorizeRepository
from govhub.identity.oidc.consent.service import Consents, withdraw_service
from govhub.identity.oidc.models import ConsentGrant, ConsentRevision, RefreshToken
from govhub.kit.clock import utcnow
from tests.functional.identity.account_support import create_citizen, csrf_of, sign_in
from tests.functional.identity.oidc.authorize_support import authorize_url, create_relying_party, returned
from tests.support.oidc import consent_history

HTML = {"Accept": "text/html"}


async def _account(session: AsyncSession, email: str = "ann@example.org") -> Account:
    return (await session.scalars(select(Account).where(Account.email == email))).one()


async def test_grants_add_up_and_withdrawal_starts_again(session: AsyncSession, settings: Settings) -> None:
    await create_relying_party(session)
    await create_citizen(session, settings)
    account = await _account(session)
    consents = Consents(AuthorizeRepository(session))
    now = utcnow()
    assert await consents.missing(account.id, "parking-permits", ["openid", "email"]) == ["email"]
    await consents.grant(account.id, "parking-permits", ["openid", "email"], now)
    assert await consents.missing(account.id, "parking-permits", ["openid", "email"]) == []
    assert await consents.missing(account.id, "parking-permits", ["openid", "email", "business"]) == [
        "business"
    ]
    grant = await consents.grant(account.id, "parking-permits", ["openid", "business"], now)
    assert grant.scopes == ["email", "business"]

    session.add(
        RefreshToken(
            token_hash="f" * 64,
            family_id="family",
            client_id="parking-permits",
            account_id=account.id,
            sid="s" * 43,
            scope="openid email offline_access",
            vot="Cl.Cm",
            created_at=now,
            expires_at=now + timedelta(days=30),
        )
    )
    await session.flush()
    # Withdrawing the service withdraws the consent and ends its standing access.
    assert await withdraw_service(session, settings, account.id, "parking-permits", now)
    assert not await consents.withdraw(account.id, "parking-permits", now)
    token = (await session.scalars(select(RefreshToken).execution_options(populate_existing=True))).one()
    assert token.revoked_at is not None
    assert await consents.missing(account.id, "parking-permits", ["openid", "email"]) == ["email"]
    again = await consents.grant(account.id, "parking-permits", ["openid", "email"], now)
    assert again.scopes == ["email"]
    history = await consent_history(session, account.id, "parking-permits")
    assert [(r.action, r.scopes) for r in history] == [
        ("granted", ["email"]),
        ("granted", ["email", "business"]),
        ("withdrawn", []),
        ("granted", ["email"]),
    ]


async def test_the_services_page_lists_and_withdraws(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await create_relying_party(
        session, "library", name="Renew a library book", organisation="Anytown Libraries"
    )
    citizen = await create_citizen(session, settings)
    signed_out = await client.get("/account/services")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/sign-in?")

    await sign_in(client, citizen)
    account = await _account(session)
    await Consents(AuthorizeRepository(session)).grant(account.id, "parking-permits", ["email"], utcnow())
    assert "code" in returned(await client.get(authorize_url(scope="openid email")))
    assert "code" in returned(await client.get(authorize_url("library", scope="openid")))

    page = await client.get("/account/services")
    assert page.status_code == 200
    text = page.text
    assert "Apply for a resident parking permit" in text
    assert "Renew a library book" in text  # signed in, no data shared
    assert "Your email address" in text
    # Both can be withdrawn: the one with consent, and the one signed in to without sharing any data.
    assert text.count('action="/account/services/withdraw"') == 2

    forged = await client.post(
        "/account/services/withdraw", data={"client_id": "parking-permits"}, headers=HTML
    )
    assert forged.status_code == 403
    grant = (await session.scalars(select(ConsentGrant))).one()
    assert grant.withdrawn_at is None

    withdrawn = await client.post(
        "/account/services/withdraw", data={"csrf_token": csrf_of(text), "client_id": "parking-permits"}
    )
    assert withdrawn.status_code == 303
    after = await client.get(withdrawn.headers["location"])
    assert "You withdrew your consent" in after.text
    assert "Withdraw consent" not in after.text
    grant = (await session.scalars(select(ConsentGrant).execution_options(populate_existing=True))).one()
    assert grant.withdrawn_at is not None
    assert [r.action for r in (await session.scalars(select(ConsentRevision))).all()] == [
        "granted",
        "withdrawn",
    ]
    # Asked again next time.
    asked = await client.get(authorize_url(scope="openid email"))
    assert asked.status_code == 200
    assert "Share your information with" in asked.text

    nothing = await client.post(
        "/account/services/withdraw",
        data={"csrf_token": csrf_of(text), "client_id": "parking-permits"},
        headers=HTML,
    )
    assert nothing.status_code == 400
