"""Shared by the members tests: applications and approved members made through the service, admin API
tokens, people (platform administrators, member administrators, citizens) signed in on browsers of their
own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.repository import IdentityRepository
from govhub.members.membership.service import grant_platform_admin
from tests.factories.members import INSTANCE as INSTANCE  # noqa: PLC0414 (re-exported for older importers)
from tests.factories.members import TEST_ADMIN as TEST_ADMIN  # noqa: PLC0414 (re-exported for older importers)
from tests.factories.members import create_application, create_member
from tests.factories.members import new_application as new_application  # noqa: PLC0414 (re-exported for older importers)
from tests.functional.identity.account_support import Citizen, create_citizen, sign_in
from tests.support.oidc import ClientKeys, machine_client


def application_body(keys: ClientKeys, **overrides: Any) -> dict[str, Any]:
    """An admin API application, camelCase as on the wire."""
    return {
        "organisationName": "Borsetshire County Council",
        "registrationNumber": "E10000099",
        "memberClass": "GOV",
        "contactName": "Alex Clerk",
        "contactEmail": "alex.clerk@borsetshire.example",
        "subsystemCode": "parking",
        "jwks": keys.jwks,
        **overrides,
    }


#: Applications and members come from the factories (tests.factories.members), under the names these
#: tests use.
submit = create_application
approved_member = create_member


async def machine_token(client: httpx.AsyncClient, session: AsyncSession, scope: str) -> dict[str, str]:
    """Bearer headers with a client_credentials token holding `scope`."""
    keys = ClientKeys()
    client_id = (await machine_client(session, keys, scopes=[scope])).client.client_id
    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def admin_headers(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    return await machine_token(client, session, "govhub:members-admin")


async def subsystem_token(client: httpx.AsyncClient, keys: ClientKeys, client_id: str) -> httpx.Response:
    return await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})


@asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (its own cookies) on the app."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class Person:
    citizen: Citizen
    account: Account


async def person(
    session: AsyncSession,
    settings: Settings,
    email: str,
    *,
    platform_admin: bool = False,
    with_app: bool = True,
) -> Person:
    citizen = await create_citizen(session, settings, email, with_app=with_app)
    if platform_admin:
        await grant_platform_admin(session, email, TEST_ADMIN)
    account = await IdentityRepository(session).account_by_email(email)
    assert account is not None
    return Person(citizen, account)


async def signed_in(client: httpx.AsyncClient, who: Person) -> httpx.AsyncClient:
    answer = await sign_in(client, who.citizen)
    assert answer.status_code == 303, answer.text
    return client
