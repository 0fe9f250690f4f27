"""Factories for identity-proving tests: a births register with known people, readable by the proving
system as the deployment's register owner would grant it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.proving.service import PROVING_CLIENT
from govhub.registries.caller import Caller
from govhub.registries.demo import BIRTHS
from govhub.registries.service import RegistriesService

PEOPLE = [
    {
        "registration": "B100001",
        "person_id": "GH100000001",
        "given_name": "Zoë",
        "family_name": "O'Brien-Archer",
        "date_of_birth": "1987-03-14",
    },
    {
        "registration": "B100002",
        "person_id": "GH100000002",
        "given_name": "Tomasz",
        "family_name": "Grundy",
        "date_of_birth": "1962-11-02",
    },
]


async def create_births_register(
    session: AsyncSession,
    settings: Settings,
    people: list[dict[str, Any]] | None = None,
    *,
    grant: bool = True,
) -> None:
    registries = RegistriesService.for_session(session, settings)
    await registries.define(BIRTHS)
    owner = Caller(f"{BIRTHS.owner}/registrar", "registering births")
    opened = await registries.open(BIRTHS.name, BIRTHS.version, owner, write=True)
    await registries.create_many(opened, PEOPLE if people is None else people)
    if grant:
        await registries.grant(BIRTHS.name, PROVING_CLIENT)
