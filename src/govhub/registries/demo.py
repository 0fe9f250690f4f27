"""Demo data: open registers of public facts (countries, ISO codes, UK local authorities), a synthetic
personal register of births, and the personal register of GovStack's Digital Registries conformance scenarios
(`registryname` version `111`, database `MCTS`), readable by the scenario's client."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from importlib.resources import files
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.registries.caller import Caller
from govhub.registries.conformance import SCENARIO_OWNER, load_records, packaged_data
from govhub.registries.definitions import RegisterDefinition
from govhub.registries.service import RegistriesService

__all__ = ["BIRTHS", "COUNTRIES", "SCENARIO_OWNER", "load", "synthetic_births"]

PLATFORM = "govhub/GOV/platform"

COUNTRIES = RegisterDefinition(
    name="country",
    title="Countries",
    description="A selection of countries by ISO 3166-1 alpha-2 code, with name, official name and capital.",
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


def _code_register(name: str, title: str, description: str, fields: dict[str, Any]) -> RegisterDefinition:
    return RegisterDefinition(
        name=name,
        title=title,
        description=description,
        classification="open",
        owner=PLATFORM,
        database_code=name.upper(),
        version="1",
        record_schema={
            "type": "object",
            "properties": fields,
            "required": list(fields),
            "additionalProperties": False,
        },
        key_field="code",
    )


ISO_COUNTRIES = _code_register(
    "iso-country",
    "Countries and territories (ISO 3166-1)",
    "Every country and territory in ISO 3166-1: alpha-2 code, name, official name, alpha-3 and numeric code.",
    {
        "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "name": {"type": "string"},
        "official_name": {"type": "string"},
        # The other codes of ISO 3166-1 name one country each, as the key does.
        "alpha_3": {"type": "string", "pattern": "^[A-Z]{3}$", "x-govhub-unique": True},
        "numeric": {"type": "string", "pattern": "^[0-9]{3}$", "x-govhub-unique": True},
    },
)
CURRENCIES = _code_register(
    "currency",
    "Currencies",
    "Currencies by their ISO 4217 code, with name and numeric code.",
    {
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "name": {"type": "string"},
        "numeric": {"type": "string"},
    },
)
LANGUAGES = _code_register(
    "language",
    "Languages",
    "Languages by their ISO 639-1 two-letter code, with name and three-letter code.",
    {
        "code": {"type": "string", "pattern": "^[a-z]{2}$"},
        "name": {"type": "string"},
        "alpha_3": {"type": "string"},
    },
)
LOCAL_AUTHORITY_TYPES = [
    "City corporation",
    "Council area",
    "District",
    "London borough",
    "Metropolitan district",
    "Two-tier county",
    "Unitary authority",
]
NATIONS = ["England", "Northern Ireland", "Scotland", "Wales"]
LOCAL_AUTHORITIES = _code_register(
    "local-authority",
    "Local authorities (ISO 3166-2:GB)",
    "The UK's local authorities by their ISO 3166-2:GB code, with name, subdivision type and nation.",
    {
        "code": {"type": "string", "pattern": "^GB-[A-Z]{3}$"},
        "name": {"type": "string"},
        # Indexed: the fields people list authorities by (`?query.nation=Wales`).
        "type": {"type": "string", "enum": LOCAL_AUTHORITY_TYPES, "x-govhub-indexed": True},
        "nation": {"type": "string", "enum": NATIONS, "x-govhub-indexed": True},
    },
)
BIRTHS = RegisterDefinition(
    name="birth",
    title="Births (synthetic)",
    description="Registered births. Synthetic people: made from fixed lists with a fixed seed; nobody real.",
    classification="personal",
    owner="govhub/GOV/civil-registration",
    database_code="BIRTH",
    version="1",
    record_schema={
        "type": "object",
        "properties": {
            "registration": {"type": "string", "pattern": "^B[0-9]{6}$"},
            # Indexed: a person's records are found by their identifier (and their data use by it).
            "person_id": {"type": "string", "x-govhub-indexed": True},
            "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "date_of_birth": {"type": "string", "format": "date"},
            "place_of_birth": {"type": "string"},
            "mother": {"type": "string"},
        },
        "required": ["registration", "person_id", "given_name", "family_name", "date_of_birth"],
        "additionalProperties": False,
    },
    key_field="registration",
    subject_field="person_id",
)
_GIVEN = ["Alex", "Sam", "Jamie", "Priya", "Tomasz", "Aisha", "Ewan", "Mei", "Olu", "Freya", "Ravi", "Niamh"]
_FAMILY = ["Archer", "Grundy", "Aldridge", "Carter", "Snell", "Tucker", "Sterling", "Horrobin", "Pargetter"]
_EPOCH = date(1950, 1, 1)
_PLACES = ["Ambridge", "Borchester", "Felpersham", "Hollerton", "Penny Hassett", "Edgeley"]


def synthetic_births(count: int = 200) -> list[dict[str, Any]]:
    rng = random.Random(1951)  # noqa: S311 (reproducible synthetic data, not secrets)
    births = []
    for number in range(1, count + 1):
        family = rng.choice(_FAMILY)
        births.append(
            {
                "registration": f"B{number:06d}",
                "person_id": f"GH{rng.randrange(10**8, 10**9)}",
                "given_name": rng.choice(_GIVEN),
                "family_name": family,
                "date_of_birth": (_EPOCH + timedelta(days=rng.randrange(27_000))).isoformat(),
                "place_of_birth": rng.choice(_PLACES),
                "mother": f"{rng.choice(_GIVEN)} {family}",
            }
        )
    return births


def _csv(name: str) -> list[dict[str, Any]]:
    text = files(__package__).joinpath(f"demo_data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


async def _load_register(
    registries: RegistriesService, definition: RegisterDefinition, records: list[dict[str, Any]]
) -> str:
    if await registries.repository.register(definition.name) is None:
        await registries.define(definition)
    owner = Caller(f"{definition.owner}/demo-loader", "loading demo data")
    opened = await registries.open(definition.name, definition.version, owner, write=True)
    present = await registries.repository.existing_keys(
        opened.register.id, [str(record[definition.key_field]) for record in records]
    )
    missing = [record for record in records if str(record[definition.key_field]) not in present]
    if missing:
        await registries.create_many(opened, missing)
    return f"register {definition.name}: {len(missing)} records added, {len(present)} already there"


async def load(session: AsyncSession, settings: Settings) -> str:
    registries = RegistriesService.for_session(session, settings)
    reports = [
        await _load_register(registries, COUNTRIES, _csv("countries.csv")),
        await _load_register(registries, ISO_COUNTRIES, _csv("iso-countries.csv")),
        await _load_register(registries, CURRENCIES, _csv("currencies.csv")),
        await _load_register(registries, LANGUAGES, _csv("languages.csv")),
        await _load_register(registries, LOCAL_AUTHORITIES, _csv("local-authorities.csv")),
        await _load_register(registries, BIRTHS, synthetic_births()),
        # The register of GovStack's conformance scenarios (`govhub govstack load` adds their databases).
        await load_records(registries, packaged_data()),
    ]
    return "; ".join(reports)
