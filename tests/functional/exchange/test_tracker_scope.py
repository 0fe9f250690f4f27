"""Issue 14, finding 5, at the data tracker: `GET /exchange/tracker` answers only a token carrying
`govhub:data-use`, which the person consented to for that service. Any service's ordinary sign-in token is
refused (403 `insufficient_scope`), and what the tracker shows carries no account id."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.service import LedgerService
from tests.functional.exchange.support import bearer, exchange, person_token
from tests.functional.identity.account_support import create_citizen, sign_in
from tests.functional.identity.oidc.authorize_support import create_relying_party
from tests.functional.identity.oidc.grant_support import account_of, authorize, redeem
from tests.support.exchange import record_exchange

DATA_USE = "The record of which services used your data through govhub"


@pytest.mark.parametrize(
    "scope", ["openid", "openid email", "openid email identity business", "openid govhub:exchange-on-behalf"]
)
async def test_a_sign_in_token_without_the_data_use_scope_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, scope: str
) -> None:
    account, token = await person_token(client, session, scope=scope)
    await record_exchange(
        session, LedgerService.for_session(session, settings), exchange(user_id=account.public_id)
    )

    response = await client.get("/exchange/tracker", headers=bearer(token))

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="govhub:data-use"' in challenge
    assert account.public_id not in response.text


async def test_the_person_consents_to_a_service_reading_their_tracker(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session, allowed_scopes=["openid", "govhub:data-use"])
    await sign_in(client, await create_citizen(session, settings))
    account = await account_of(session)
    record = await record_exchange(
        session, LedgerService.for_session(session, settings), exchange(user_id=account.public_id)
    )

    refused = await authorize(client, scope="openid govhub:data-use", decision="refuse")
    assert refused.consent_page is not None
    assert DATA_USE in refused.consent_page.text
    assert refused.answer["error"] == "access_denied"

    journey = await authorize(client, scope="openid govhub:data-use")
    assert journey.consent_page is not None
    tokens = await redeem(client, journey)
    response = await client.get("/exchange/tracker", headers=bearer(tokens["access_token"]))

    assert response.status_code == 200, response.text
    assert [item["messageId"] for item in response.json()["records"]] == [record.message_id]
    assert account.public_id not in response.text


async def test_a_service_not_registered_for_the_tracker_cannot_ask_for_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)  # no govhub:data-use among its scopes
    await sign_in(client, await create_citizen(session, settings))

    journey = await authorize(client, scope="openid govhub:data-use")

    assert journey.consent_page is None
    assert journey.answer["error"] == "invalid_scope"
