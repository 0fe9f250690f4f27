"""Demo data: an open register of countries, and the personal register of GovStack's Digital Registries
conformance scenarios (`registryname` version `111`, database `MCTS`), readable by the scenario's client."""

from __future__ import annotations

import csv
import json
from importlib.resources import files
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.keys import Keyring
from govhub.ledger.repository import LedgerRepository
from govhub.ledger.service import LedgerService
from govhub.registries.repository import RegistriesRepository
from govhub.registries.service import Caller, RegisterDefinition, RegistriesService

PLATFORM = "govhub/GOV/platform"

COUNTRIES = RegisterDefinition(
    name="country",
    title="Countries",
    description="Countries by their ISO 3166-1 alpha-2 code, with name, official name and capital.",
    classification="open",
    owner=PLATFORM,
    database_code="COUNTRY",
    version="1",
    record_schema={
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "name": {"type": "string", "minLength": 1},
            "official_name": {"type": "string"},
            "capital": {"type": "string"},
        },
        "required": ["code", "name"],
        "additionalProperties": False,
    },
    key_field="code",
)

SCENARIO_OWNER = "eGovStack/GOV/90000009"


def _scenario() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        files(__package__).joinpath("demo_data/govstack-scenario.json").read_text()
    )
    return loaded


def scenario_definition() -> RegisterDefinition:
    scenario = _scenario()
    return RegisterDefinition(
        name=scenario["registryname"],
        title="GovStack conformance scenario register",
        description="The people records that GovStack's Digital Registries conformance scenarios expect.",
        classification="personal",
        owner=SCENARIO_OWNER,
        database_code=scenario["databaseID"],
        version=scenario["versionnumber"],
        record_schema={
            "type": "object",
            "properties": {
                "uuid": {"type": "string", "minLength": 1},
                "id": {"type": "string", "minLength": 1},
                "FirstName": {"type": "string"},
                "LastName": {"type": "string"},
                "BirthCertificateID": {"type": "string"},
                "PersonalData": {"type": "array"},
                # The fields of the GovStack spec's own example record, so its clients' writes are typed.
                "firstName": {"type": "string"},
                "lastName": {"type": "string"},
                "birthCertificateId": {"type": "string"},
            },
            "required": ["uuid", "id"],
        },
        # Two of the scenario's people share an `id`, so the record key is the `uuid`.
        key_field="uuid",
        subject_field="id",
    )


async def _load_register(
    registries: RegistriesService, definition: RegisterDefinition, records: list[dict[str, Any]]
) -> str:
    if await registries.repository.register(definition.name) is None:
        await registries.define(definition)
    owner = Caller(f"{definition.owner}/demo-loader", "loading demo data")
    opened = await registries.open(definition.name, definition.version, owner, write=True)
    added = 0
    for record in records:
        if not await registries.exists(opened, {definition.key_field: record[definition.key_field]}):
            await registries.create(opened, record)
            added += 1
    return f"register {definition.name}: {added} records added, {len(records) - added} already there"


async def load(session: AsyncSession, settings: Settings) -> str:
    registries = RegistriesService(
        RegistriesRepository(session), LedgerService(LedgerRepository(session), settings, Keyring(settings))
    )
    countries_csv = files(__package__).joinpath("demo_data/countries.csv").read_text(encoding="utf-8")
    countries = list(csv.DictReader(countries_csv.splitlines()))
    scenario = _scenario()
    reports = [
        await _load_register(registries, COUNTRIES, countries),
        await _load_register(registries, scenario_definition(), scenario["records"]),
    ]
    await registries.grant(scenario["registryname"], scenario["client"])
    return "; ".join(reports)
