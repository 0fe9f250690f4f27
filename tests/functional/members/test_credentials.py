"""How an approved subsystem authenticates: a `client_credentials` token from `/token` with a
`private_key_jwt` assertion signed by its registered key. Suspending its member shuts it out at once
(`invalid_client`, and the gateway's checks say no); reinstating lets it back in."""

from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.members.membership.service import ActiveSubsystem, active_subsystem_of_client
from govhub.members.xroad_ids import parse_member_id, parse_subsystem_id
from tests.functional.members.support import admin_headers, approved_member, subsystem_token
from tests.support.members import is_member_active, is_subsystem_active
from tests.support.oidc import ClientKeys

CLIENT_ID = "GOVHUB-DEV.GOV.E10000099.parking"
MEMBER = "/members/members/GOVHUB-DEV/GOV/E10000099"


async def test_an_approved_subsystem_gets_a_token_with_its_registered_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keys = ClientKeys()
    await approved_member(session, keys)

    response = await subsystem_token(client, keys, CLIENT_ID)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "govhub:exchange"
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    token = jwt.decode(body["access_token"], jwks)
    assert (token.claims["sub"], token.claims["client_id"]) == (CLIENT_ID, CLIENT_ID)
    # Another key, or another client's id, does not get in.
    stranger = await subsystem_token(client, ClientKeys(), CLIENT_ID)
    assert stranger.status_code == 401
    assert stranger.json()["error"] == "invalid_client"


async def test_an_rsa_key_works_as_well(client: httpx.AsyncClient, session: AsyncSession) -> None:
    keys = ClientKeys("RS256")
    await approved_member(session, keys)
    assert (await subsystem_token(client, keys, CLIENT_ID)).status_code == 200


async def test_a_suspended_member_is_shut_out_and_let_back_in_on_reinstatement(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    keys = ClientKeys()
    await approved_member(session, keys)
    member_id = parse_member_id("GOVHUB-DEV/GOV/E10000099")
    subsystem_id = parse_subsystem_id("GOVHUB-DEV/GOV/E10000099/parking")
    # A token first, so this node's provider holds the client in its cache: suspension must still bite.
    assert (await subsystem_token(client, keys, CLIENT_ID)).status_code == 200
    assert await is_member_active(session, member_id)
    assert await is_subsystem_active(session, subsystem_id)
    assert await active_subsystem_of_client(session, CLIENT_ID) == ActiveSubsystem(
        subsystem_id, "Borsetshire County Council"
    )

    suspended = await client.post(f"{MEMBER}/suspend", json={"reason": "Breach of terms"}, headers=admin)
    assert suspended.status_code == 200

    refused = await subsystem_token(client, keys, CLIENT_ID)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert not await is_member_active(session, member_id)
    assert not await is_subsystem_active(session, subsystem_id)
    assert await active_subsystem_of_client(session, CLIENT_ID) is None

    reinstated = await client.post(f"{MEMBER}/reinstate", json={"reason": "Resolved"}, headers=admin)
    assert reinstated.status_code == 200

    again = await subsystem_token(client, keys, CLIENT_ID)
    assert again.status_code == 200, again.text
    assert await is_member_active(session, member_id)
    assert await active_subsystem_of_client(session, CLIENT_ID) is not None


async def test_the_activity_questions_about_strangers_answer_no(session: AsyncSession) -> None:
    assert not await is_member_active(session, parse_member_id("GOVHUB-DEV/GOV/nobody"))
    assert not await is_subsystem_active(session, parse_subsystem_id("GOVHUB-DEV/GOV/nobody/x"))
    assert await active_subsystem_of_client(session, "some-relying-party") is None
