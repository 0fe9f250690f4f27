"""Shared by the services tests: a providing member (Borsetshire, subsystem `parking`) administered by a
person, a client member (Theirs Ltd, subsystem `orders`), and the blue badge eligibility document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.members.services.models import AccessRight, Service, ServiceEndpoint
from govhub.members.xroad_ids import parse_service_id, parse_subsystem_id
from tests.functional.members.support import Person, approved_member, person
from tests.support.oidc import ClientKeys

OPENAPI_FILE = Path(__file__).parents[2] / "support" / "openapi" / "blue_badge_eligibility.json"
PROVIDER = "GOVHUB-DEV/GOV/E10000099/parking"
CLIENT = "GOVHUB-DEV/COM/07654321/orders"
SERVICE = PROVIDER + "/eligibility"
SERVICE_PATH = "/members/services/" + SERVICE
SERVICE_ID = parse_service_id(SERVICE)
CLIENT_ID = parse_subsystem_id(CLIENT)


def blue_badge() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_FILE.read_text())
    return document


def registration(**overrides: Any) -> dict[str, Any]:
    return {
        "subsystem": PROVIDER,
        "serviceCode": "eligibility",
        "baseUrl": "https://badges.borsetshire.example/api/",
        "openapi": blue_badge(),
        **overrides,
    }


@dataclass
class Network:
    provider_admin: Person
    client_admin: Person


async def network(session: AsyncSession, settings: Settings) -> Network:
    ours = await person(session, settings, "director@borsetshire.example", with_app=False)
    theirs = await person(session, settings, "director@theirs.example", with_app=False)
    await approved_member(session, ClientKeys(), applicant_account_id=ours.account.id)
    await approved_member(
        session,
        ClientKeys(),
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
        subsystem_code="orders",
        applicant_account_id=theirs.account.id,
    )
    return Network(ours, theirs)


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """(services, endpoints, access rights) kept."""
    found = [
        int(await session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Service, ServiceEndpoint, AccessRight)
    ]
    return found[0], found[1], found[2]
