"""Pushed authorization requests (RFC 9126) on the backend under test: pushed by an authenticated client,
used once within their lifetime, required for clients registered so."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.models import PendingAuthorization
from govhub.kit.clock import utcnow
from tests.functional.identity.account_support import create_citizen, sign_in
from tests.functional.identity.oidc.authorize_support import (
    CLIENT_SECRET,
    authorization_parameters,
    authorize_url,
    create_relying_party,
    location_path,
    returned,
)

HTML = {"Accept": "text/html"}


async def _push(client: httpx.AsyncClient, **overrides: str | None) -> httpx.Response:
    form = {**authorization_parameters("parking-permits", **overrides), "client_secret": CLIENT_SECRET}
    return await client.post("/par", data={name: value for name, value in form.items() if value is not None})


async def test_a_pushed_request_is_used_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    pushed = await _push(client, scope="openid", state="pushed-state")
    assert pushed.status_code == 201, pushed.text
    assert pushed.headers["cache-control"] == "no-store"
    body = pushed.json()
    assert body["expires_in"] == 60
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")

    # RFC 9126 §4: only client_id and request_uri are needed; other parameters are ignored.
    url = "/authorize?" + urlencode(
        {"client_id": "parking-permits", "request_uri": body["request_uri"], "state": "x"}
    )
    answer = returned(await client.get(url))
    assert "code" in answer
    assert answer["state"] == "pushed-state"

    replay = await client.get(url, headers=HTML)
    assert replay.status_code == 400
    assert "location" not in replay.headers
    assert "expired or was already used" in replay.text


async def test_an_expired_or_unknown_pushed_request_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session)
    request_uri = (await _push(client)).json()["request_uri"]
    await session.execute(
        update(PendingAuthorization)
        .where(PendingAuthorization.request_uri == request_uri)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    for uri in (request_uri, "urn:ietf:params:oauth:request_uri:made-up"):
        response = await client.get(
            "/authorize?" + urlencode({"client_id": "parking-permits", "request_uri": uri}), headers=HTML
        )
        assert response.status_code == 400
        assert "location" not in response.headers


async def test_a_pushed_request_belongs_to_its_client(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session)
    await create_relying_party(session, "other-service")
    request_uri = (await _push(client)).json()["request_uri"]
    stolen = await client.get(
        "/authorize?" + urlencode({"client_id": "other-service", "request_uri": request_uri}), headers=HTML
    )
    assert stolen.status_code == 400
    assert "location" not in stolen.headers
    # Still usable by its own client.
    own = await client.get(
        "/authorize?" + urlencode({"client_id": "parking-permits", "request_uri": request_uri})
    )
    assert location_path(own).startswith("/sign-in?")


async def test_a_client_that_requires_par_cannot_skip_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session, require_par=True)
    answer = returned(await client.get(authorize_url()))
    assert answer["error"] == "invalid_request"
    assert "PAR" in answer["error_description"]
    pushed = await _push(client)
    assert pushed.status_code == 201
    used = await client.get(
        "/authorize?"
        + urlencode({"client_id": "parking-permits", "request_uri": pushed.json()["request_uri"]})
    )
    assert location_path(used).startswith("/sign-in?")


async def test_par_refuses_bad_clients_and_bad_requests(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session)
    wrong_secret = await client.post("/par", data={**authorization_parameters(), "client_secret": "nope"})
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    unauthenticated = await client.post("/par", data=authorization_parameters())
    assert unauthenticated.status_code == 401

    cases = {
        "invalid_request": {"redirect_uri": "https://evil.example/callback"},
        "invalid_scope": {"scope": "openid payroll"},
        "unsupported_response_type": {"response_type": "token"},
    }
    for error, overrides in cases.items():
        response = await _push(client, **overrides)
        assert response.status_code == 400, overrides
        assert response.json()["error"] == error
        assert response.headers["cache-control"] == "no-store"
    plain = await _push(client, code_challenge_method="plain")
    assert plain.json()["error"] == "invalid_request"
    nested = await client.post(
        "/par", data={**authorization_parameters(), "client_secret": CLIENT_SECRET, "request_uri": "urn:x"}
    )
    assert nested.status_code == 400
    assert (await session.scalars(select(PendingAuthorization))).all() == []
