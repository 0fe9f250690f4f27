"""Bulk creation (`create_many`, what `govhub registry load` uses): many records in one unit of work (on
PostgreSQL by COPY), every one stored as it was given, with its entry, its counts and its text in the
search index; a record breaking a unique field refuses the whole batch."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.registries import Caller, RegisterDefinition, RegistriesService
from govhub.registries.errors import DuplicateRecord
from govhub.registries.models import RegistryEntry

OWNER = "GB/GOV/DfE"
DEFINITION = RegisterDefinition(
    name="bulk-schools",
    title="Schools",
    description="Schools, loaded in bulk",
    classification="open",
    owner=OWNER,
    database_code="BULK",
    version="1",
    record_schema={
        "type": "object",
        "properties": {
            "urn": {"type": "string"},
            "name": {"type": "string"},
            "phase": {"type": "string", "x-govhub-indexed": True},
            "email": {"type": "string", "x-govhub-unique": True},
            "extra": {},
        },
        "required": ["urn", "name"],
    },
    key_field="urn",
)


def _school(number: int) -> dict[str, Any]:
    # Text that COPY's text format escapes (tab, newline, backslash), and nested JSON.
    return {
        "urn": f"{number:04d}",
        "name": f"School\t{number}\nof \\Ambridge ünïcode",
        "phase": "primary" if number % 2 else "secondary",
        "email": f"head{number}@ambridge.sch.uk",
        "extra": {"list": [1, 2.5, None, True], "quote": 'say "hi"'},
    }


async def _service(session: AsyncSession, settings: Settings) -> tuple[RegistriesService, Any]:
    registries = RegistriesService.for_session(session, settings)
    await registries.define(DEFINITION)
    opened = await registries.open(DEFINITION.name, "1", Caller(f"{OWNER}/loader"), write=True)
    return registries, opened


async def test_a_bulk_load_stores_every_record_as_given(session: AsyncSession, settings: Settings) -> None:
    registries, opened = await _service(session, settings)
    schools = [_school(n) for n in range(60)]
    assert await registries.create_many(opened, schools) == 60
    page = await registries.search(
        opened, Caller(None), text=None, text_field=None, equals={}, ordering=None, page=1, page_size=100
    )
    assert page.count == 60
    assert page.records == schools
    entries = list(
        await session.scalars(
            select(RegistryEntry.content).where(RegistryEntry.register_id == opened.register.id)
        )
    )
    assert sorted(entries, key=lambda content: content["urn"]) == schools
    primary = await registries.search(
        opened,
        Caller(None),
        text="ambridge",
        text_field=None,
        equals={"phase": "primary"},
        ordering=None,
        page=1,
        page_size=100,
    )
    assert primary.count == 30
    assert await registries.read(opened, Caller(None), {"urn": "0007"}) == _school(7)


async def test_a_bulk_load_breaking_a_unique_field_writes_nothing(
    session: AsyncSession, settings: Settings
) -> None:
    registries, opened = await _service(session, settings)
    register_id = opened.register.id  # the rollback to the savepoint expires the loaded register
    schools = [_school(n) for n in range(40)]
    schools[39]["email"] = schools[3]["email"]
    with pytest.raises(DuplicateRecord, match="email is unique"):
        async with session.begin_nested():
            await registries.create_many(opened, schools)
    written = await session.scalar(
        select(func.count()).select_from(RegistryEntry).where(RegistryEntry.register_id == register_id)
    )
    assert written == 0
