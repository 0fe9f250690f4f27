"""GovStack's Digital Registries conformance scenario data, loaded into govhub.

GovStack certifies a product by loading its scenario data file (`test/openAPI/test-data.json` of
GovStackWorkingGroup/bb-digital-registries; a copy is `demo_data/govstack-scenario.json`) into the product and
running its published scenarios against it. This is govhub's loader (`govhub govstack load`; `govhub demo
load` loads the register and its records): it makes govhub hold what the file describes.

- the register `registryname` version `111` (database code `MCTS`), personal, owned by the scenario's member
  (`eGovStack/GOV/90000009`) and granted to its client (`informationMediatorClientHeader`), holding the
  file's records. Records are keyed by `uuid`: two of them share an `id`. A record the scenarios deleted is
  put back, and one they changed gets the file's values again (a field they added stays); records they
  created are left alone.
- the empty register `registryempty` version `111` that the list scenarios read (it holds no records, so the
  file does not list it);
- the file's databases (`databases[].databases[]`), as schema versions of the register of their group's code,
  each shown by the Database API under the id the file gives it (`/database/8438778473`). A version is named
  `<version>.<id>` (`1.1.123`): the file gives all of them version `1.1`. If another version was shown under
  one of those ids, it is shown under the next free id instead, and the report says so.

Idempotent: a second run changes nothing, and a run after the scenarios puts back what they changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.registries.caller import Caller
from govhub.registries.databases.service import key_field_of
from govhub.registries.definitions import RegisterDefinition
from govhub.registries.models import Register
from govhub.registries.service import Opened, RegistriesService

#: The member that owns the scenario's registers: the organisation of the scenario's client.
SCENARIO_OWNER = "eGovStack/GOV/90000009"
#: The register GovStack's list scenarios read to get an empty page.
EMPTY_REGISTER = "registryempty"

_PERSON_FIELDS: dict[str, Any] = {
    "uuid": {"type": "string", "minLength": 1},
    # The scenario data spells a person's identifier `id`; the spec's examples and the scenarios' own
    # writes spell it `ID`.
    "id": {"type": "string", "minLength": 1},
    "ID": {"type": "string"},
    "FirstName": {"type": "string"},
    "LastName": {"type": "string"},
    "BirthCertificateID": {"type": "string"},
    "PersonalData": {"type": "array"},
    # The fields of the GovStack spec's own example record, so its clients' writes are typed.
    "firstName": {"type": "string"},
    "lastName": {"type": "string"},
    "birthCertificateId": {"type": "string"},
}


def packaged_data() -> dict[str, Any]:
    """The copy of GovStack's scenario data file that govhub ships."""
    return read_scenario_data(None)


def read_scenario_data(path: Path | None) -> dict[str, Any]:
    """A scenario data file (the packaged copy when `path` is None)."""
    if path is None:
        text = files(__package__).joinpath("demo_data/govstack-scenario.json").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    loaded = json.loads(text)
    if not isinstance(loaded, dict) or not isinstance(loaded.get("registries"), dict):
        # A file's content, not an argument's type: a ValueError, as json.loads raises for a broken file.
        raise ValueError("not a GovStack Digital Registries scenario data file: no `registries` object")  # noqa: TRY004
    return loaded


def scenario_client(data: Mapping[str, Any]) -> str:
    header = data.get("informationMediatorClientHeader") or {}
    return str(header.get("value") or f"{SCENARIO_OWNER}/digitalregistries")


def scenario_definition(data: Mapping[str, Any]) -> RegisterDefinition:
    """The scenario's register: a personal register of people, keyed by `uuid` (assigned to a record
    created without one), about the person its `id` names. No field is required: the scenarios create
    records with `ID` and without `uuid` or `id`."""
    registries = data["registries"]
    return RegisterDefinition(
        name=registries["registryname"],
        title="GovStack conformance scenario register",
        description="The people records that GovStack's Digital Registries conformance scenarios expect.",
        classification="personal",
        owner=SCENARIO_OWNER,
        database_code=registries["databaseID"],
        version=registries["versionnumber"],
        record_schema={"type": "object", "properties": dict(_PERSON_FIELDS)},
        key_field="uuid",
        subject_field="id",
    )


def empty_definition(data: Mapping[str, Any]) -> RegisterDefinition:
    definition = scenario_definition(data)
    return RegisterDefinition(
        name=EMPTY_REGISTER,
        title="GovStack conformance scenario register (empty)",
        description="A register with no records, which GovStack's list scenarios read.",
        classification=definition.classification,
        owner=definition.owner,
        database_code="MCTS-EMPTY",
        version=definition.version,
        record_schema=definition.record_schema,
        key_field=definition.key_field,
        subject_field=definition.subject_field,
    )


def _records(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    # GovStack's file has comment strings among its records ("//records below have to be deleted ...").
    return [record for record in data["registries"].get("records", []) if isinstance(record, dict)]


async def _ensure_register(registries: RegistriesService, definition: RegisterDefinition) -> Opened:
    if await registries.repository.register(definition.name) is None:
        await registries.define(definition)
    owner = Caller(f"{definition.owner}/scenario-loader", "loading GovStack's scenario data")
    return await registries.open(definition.name, definition.version, owner, write=True)


async def load_records(registries: RegistriesService, data: Mapping[str, Any]) -> str:
    """The scenario's register and its records as the file has them; its client granted."""
    definition = scenario_definition(data)
    opened = await _ensure_register(registries, definition)
    key_field = definition.key_field
    wanted: dict[str, dict[str, Any]] = {}
    repeated = 0
    for record in _records(data):
        key = str(record.get(key_field, ""))
        if not key or key in wanted:
            repeated += 1  # GovStack's own file repeats a uuid: the first record with it is kept
            continue
        wanted[key] = record
    present = await registries.repository.existing_keys(opened.register.id, list(wanted))
    missing = [record for key, record in wanted.items() if key not in present]
    if missing:
        await registries.create_many(opened, missing)
    restored = 0
    for key in sorted(present):
        current = await registries.repository.by_key(opened.register.id, key)
        if current is not None and current.content != wanted[key]:
            # An update keeps the fields it does not name: a field the scenarios added stays.
            await registries.update(opened, {key_field: key}, wanted[key])
            restored += 1
    await registries.grant(definition.name, scenario_client(data))
    report = f"register {definition.name}: {len(missing)} records added, {len(present)} already there"
    if restored:
        report += f" ({restored} put back as the file has them)"
    if repeated:
        report += f"; {repeated} records skipped (no {key_field}, or one repeated)"
    return report


async def load_empty_register(registries: RegistriesService, data: Mapping[str, Any]) -> str:
    definition = empty_definition(data)
    await _ensure_register(registries, definition)
    await registries.grant(definition.name, scenario_client(data))
    return f"register {definition.name}: there, with no records"


async def load_databases(registries: RegistriesService, data: Mapping[str, Any]) -> str:
    """Each database of the file as a schema version of the register of its group's code, shown under
    the file's id."""
    added = kept = 0
    moved: list[str] = []
    for group in data.get("databases", []):
        if not isinstance(group, dict):
            continue
        registers = await registries.repository.register_by_code(str(group.get("code", "")))
        if not registers:
            continue
        register = registers[0]
        for database in group.get("databases", []):
            if not isinstance(database, dict) or not isinstance(database.get("id"), int):
                continue  # GovStack's file has comment strings among its databases
            outcome = await _load_database(registries, register, database)
            if outcome == "added":
                added += 1
            elif outcome == "kept":
                kept += 1
            else:
                added += 1
                moved.append(outcome)
    report = f"databases: {added} added, {kept} already there"
    if moved:
        report += "; shown under another id now: " + ", ".join(moved)
    return report


async def _load_database(
    registries: RegistriesService, register: Register, database: Mapping[str, Any]
) -> str:
    """`added`, `kept`, or what was moved to make room (`database 1 (register country 1) is now 8`)."""
    repository = registries.repository
    database_id = int(database["id"])
    name = f"{database.get('version', '1')}.{database_id}"
    held = await repository.version_by_database_id(database_id)
    if held is not None and held[1].id == register.id and held[0].version == name:
        return "kept"
    outcome = "added"
    if held is not None:
        version, holder = held
        new_id = await repository.next_database_id()
        await repository.set_database_id(version, new_id)
        outcome = f"database {database_id} (register {holder.name} version {version.version}) is now {new_id}"
    schema = dict(database.get("schema") or {})
    key_field = key_field_of(schema)
    await registries.add_version(
        RegisterDefinition(
            name=register.name,
            title=register.title,
            description=str(database.get("description") or register.description),
            classification=register.classification,
            owner=register.owner,
            database_code=register.database_code,
            version=name,
            record_schema=schema,
            key_field=key_field,
            subject_field=key_field if register.classification == "personal" else None,
            database_id=database_id,
        )
    )
    return outcome


async def load_govstack_scenario(
    session: AsyncSession, settings: Settings, data: Mapping[str, Any] | None = None
) -> Sequence[str]:
    """Everything the file describes (the packaged copy when `data` is None), each part's report."""
    registries = RegistriesService.for_session(session, settings)
    chosen = data if data is not None else packaged_data()
    return [
        await load_records(registries, chosen),
        await load_empty_register(registries, chosen),
        await load_databases(registries, chosen),
    ]
