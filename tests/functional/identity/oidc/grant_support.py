"""The whole of a sign-in as a relying party and its person go through it: `/authorize` (with the consent
page answered as the person would), then the code redeemed at `/token` with the client's secret and PKCE
verifier. For the attacker-style tests of issue 14, which must cross the same boundaries the review did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import Account
from govhub.identity.proving.models import VerifiedIdentityRow
from govhub.identity.proving.repository import ProvingRepository
from govhub.kit.clock import utcnow
from tests.functional.identity.account_support import csrf_of
from tests.functional.identity.oidc.authorize_support import (
    CLIENT_SECRET,
    REDIRECT_URI,
    Pkce,
    authorization_parameters,
    returned,
)


@dataclass
class Journey:
    #: The consent page, when one was shown (None: the code came without asking).
    consent_page: httpx.Response | None
    #: What came back to the redirect URI.
    answer: dict[str, str]
    pkce: Pkce


async def authorize(
    client: httpx.AsyncClient,
    client_id: str = "parking-permits",
    *,
    decision: str = "allow",
    **parameters: str,
) -> Journey:
    """`/authorize` for a browser already signed in; the consent page answered with `decision`."""
    pkce = Pkce.make()
    query = authorization_parameters(client_id, code_challenge=pkce.challenge, **parameters)
    response = await client.get("/authorize?" + urlencode(query))
    consent_page = None
    if response.status_code == 200:
        consent_page = response
        request_uri = response.text.split('name="request_uri" value="')[1].split('"')[0]
        response = await client.post(
            "/authorize/consent",
            data={"csrf_token": csrf_of(response.text), "request_uri": request_uri, "decision": decision},
        )
    return Journey(consent_page, returned(response), pkce)


async def redeem(
    client: httpx.AsyncClient, journey: Journey, client_id: str = "parking-permits"
) -> dict[str, Any]:
    """The code at `/token` (client_secret_post, PKCE): the token response."""
    response = await client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": journey.answer["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": journey.pkce.verifier,
            "client_id": client_id,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(
    client: httpx.AsyncClient, refresh_token: str, client_id: str = "parking-permits"
) -> httpx.Response:
    return await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": CLIENT_SECRET,
        },
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def account_of(session: AsyncSession, email: str = "ann@example.org") -> Account:
    return (await session.scalars(select(Account).where(Account.email == email))).one()


async def prove(session: AsyncSession, account: Account) -> None:
    """The identity the account proved against a register (it must be at P2 already)."""
    await ProvingRepository(session).add_verified_identity(
        VerifiedIdentityRow(
            account_id=account.id,
            register="births",
            record_key="B100001",
            given_name="Zoë",
            family_name="O'Brien-Archer",
            birth_date=date(1987, 3, 14),
            verified_at=utcnow(),
        )
    )
    await session.flush()
