"""Field indexes: a register's schema marks fields `x-govhub-indexed` (searched through an index) or
`x-govhub-unique` (no two current records share the value). The indexes are partial, one register's
records each, and made, kept and dropped with the register's newest version."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.ledger.models import LedgerLog
from govhub.registries.models import Register, RegistryEntry, RegistryRecord, RegistryValueCount
from govhub.registries.repository import RegistriesRepository, field_index_name

OWNER = {"Information-Mediator-Client": "GB/GOV/DfE/schools-app"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "urn": {"type": "string", "primaryKey": True},
        "name": {"type": "string"},
        "phase": {"type": "string", "x-govhub-indexed": True},
        "email": {"type": "string", "x-govhub-unique": True},
        "pupils": {"type": "integer", "x-govhub-indexed": True},
    },
    "required": ["urn", "name"],
}


async def _modify(client: httpx.AsyncClient, schema: dict[str, Any]) -> httpx.Response:
    body = {"code": "SCHOOL", "catalogName": "Schools", "schema": schema, "classification": "open"}
    return await client.post("/database/modify", json=body, headers=OWNER)


async def _create(client: httpx.AsyncClient, record: dict[str, Any]) -> httpx.Response:
    return await client.post("/data/SCHOOL/1/create", json={"write": {"content": record}}, headers=OWNER)


def _school(number: int, **fields: Any) -> dict[str, Any]:
    return {"urn": f"{number:06d}", "name": f"School {number}", "phase": "primary", **fields}


async def _register_id(session: AsyncSession) -> int:
    found = await session.scalar(select(Register.id).where(Register.name == "SCHOOL"))
    assert found is not None
    return found


async def test_marked_fields_get_partial_indexes(client: httpx.AsyncClient, session: AsyncSession) -> None:
    assert (await _modify(client, SCHEMA)).status_code == 200
    register_id = await _register_id(session)
    assert await RegistriesRepository(session).field_indexes(register_id) == {
        field_index_name(register_id, "phase", unique=False),
        field_index_name(register_id, "pupils", unique=False),
        field_index_name(register_id, "email", unique=True),
    }


async def test_a_filter_on_an_indexed_field_uses_its_index(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await _modify(client, SCHEMA)).status_code == 200
    for number in range(30):
        phase = "secondary" if number % 3 else "primary"
        assert (await _create(client, _school(number, phase=phase, pupils=number))).status_code == 200
    found = (await client.get("/data/SCHOOL/1", params={"query.phase": "primary", "pageSize": 3})).json()
    assert found["total"] == 10
    assert [r["urn"] for r in found["results"]] == ["000000", "000003", "000006"]
    numeric = (await client.get("/data/SCHOOL/1", params={"query.pupils": "7"})).json()
    assert [r["urn"] for r in numeric["results"]] == ["000007"]

    repository = RegistriesRepository(session)
    register_id = await _register_id(session)
    plan = await _plan(session, repository, register_id)
    assert field_index_name(register_id, "phase", unique=False) in plan


async def _plan(session: AsyncSession, repository: RegistriesRepository, register_id: int) -> str:
    """The backend's plan for the filter the data API runs, with sequential scans ruled out on PostgreSQL
    (a table this small is cheaper to scan; the question is whether the index can serve at all)."""
    in_register = RegistryRecord.register_id == literal_column(str(register_id))
    statement = (
        select(RegistryRecord.id)
        .where(in_register, repository.field_text("phase") == "primary")
        .order_by(RegistryRecord.record_key)
    )
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await session.execute(text(f"EXPLAIN {sql}"))
    else:
        rows = await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
    return "\n".join(str(row[-1]) for row in rows)


async def test_a_unique_field_refuses_a_second_record_with_its_value(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await _modify(client, SCHEMA)).status_code == 200
    assert (await _create(client, _school(1, email="head@ambridge.sch.uk"))).status_code == 200
    entries_before = await session.scalar(select(func.count()).select_from(RegistryEntry))
    ledger_before = await session.scalar(select(func.sum(LedgerLog.size)))

    clash = await _create(client, _school(2, email="head@ambridge.sch.uk"))
    assert clash.status_code == 409
    assert "email is unique" in clash.json()["detail"]
    # In bulk, through updateEntries: all or nothing.
    assert (await _create(client, _school(3, email="office@borchester.sch.uk"))).status_code == 200
    bulk = await client.put(
        "/data/SCHOOL/1/updateEntries",
        json={"query": {"content": {"phase": "primary"}}, "write": {"content": {"email": "one@x.uk"}}},
        headers=OWNER,
    )
    assert bulk.status_code == 409
    assert await session.scalar(select(func.count()).select_from(RegistryEntry)) == (entries_before or 0) + 1
    assert await session.scalar(select(func.sum(LedgerLog.size))) == (ledger_before or 0) + 1
    records = (await client.get("/data/SCHOOL/1", params={"query.email": "office@borchester.sch.uk"})).json()
    assert [r["urn"] for r in records["results"]] == ["000003"]
    # Values absent from a record are not values: many records may leave a unique field out.
    assert (await _create(client, _school(4))).status_code == 200
    assert (await _create(client, _school(5))).status_code == 200


async def test_a_new_version_cannot_make_a_shared_value_unique(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await _modify(client, SCHEMA)).status_code == 200
    for number in range(3):
        assert (await _create(client, _school(number))).status_code == 200
    properties = {**SCHEMA["properties"], "phase": {"type": "string", "x-govhub-unique": True}}
    refused = await _modify(client, {**SCHEMA, "properties": properties})
    assert refused.status_code == 409
    assert "'phase' cannot be unique" in refused.json()["detail"]
    register_id = await _register_id(session)
    assert field_index_name(register_id, "phase", unique=True) not in await RegistriesRepository(
        session
    ).field_indexes(register_id)


async def test_indexes_follow_the_newest_version(client: httpx.AsyncClient, session: AsyncSession) -> None:
    assert (await _modify(client, SCHEMA)).status_code == 200
    plain = {name: {"type": spec["type"]} for name, spec in SCHEMA["properties"].items()}
    plain["urn"]["primaryKey"] = True
    assert (await _modify(client, {**SCHEMA, "properties": plain})).status_code == 200
    register_id = await _register_id(session)
    repository = RegistriesRepository(session)
    assert await repository.field_indexes(register_id) == set()
    catalogue = (await client.get("/databases", headers=OWNER)).json()
    school = [database for database in catalogue["databases"] if database["code"] == "SCHOOL"]
    newest = max(school, key=lambda database: int(database["version"]))
    assert (await client.delete(f"/database/{newest['id']}", headers=OWNER)).status_code == 200
    assert len(await repository.field_indexes(register_id)) == 3


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"type": "string", "x-govhub-indexed": "yes"}, "must be true or false"),
        ({"type": "string", "x-govhub-unique": 1}, "must be true or false"),
    ],
)
async def test_index_keywords_are_checked(
    client: httpx.AsyncClient, spec: dict[str, Any], problem: str
) -> None:
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "phase": spec}}
    response = await _modify(client, schema)
    assert response.status_code in {400, 422}
    assert problem in response.json()["detail"]


async def test_only_plain_field_names_and_a_few_fields_can_be_indexed(client: httpx.AsyncClient) -> None:
    odd_field = {"head's name": {"type": "string", "x-govhub-indexed": True}}
    odd = {**SCHEMA, "properties": {**SCHEMA["properties"], **odd_field}}
    response = await _modify(client, odd)
    assert response.status_code in {400, 422}
    assert "cannot be indexed" in response.json()["detail"]
    many = {f"field_{n}": {"type": "string", "x-govhub-indexed": True} for n in range(9)}
    crowded = {**SCHEMA, "properties": {**SCHEMA["properties"], **many}}
    response = await _modify(client, crowded)
    assert "at most 8 fields may be indexed" in response.json()["detail"]


# --- counts ----------------------------------------------------------------------------------------------


async def _kept_counts(session: AsyncSession, register_id: int) -> dict[tuple[str, str], int]:
    rows = await session.execute(
        select(RegistryValueCount.field, RegistryValueCount.value, RegistryValueCount.records).where(
            RegistryValueCount.register_id == register_id, RegistryValueCount.records != 0
        )
    )
    return {(field, value): records for field, value, records in rows}


async def _fresh_counts(
    session: AsyncSession, register_id: int, fields: list[str]
) -> dict[tuple[str, str], int]:
    """The same counts, counted now by the database from the records."""
    repository = RegistriesRepository(session)
    in_register = RegistryRecord.register_id == register_id
    total = await session.scalar(select(func.count()).select_from(RegistryRecord).where(in_register))
    counts = {("", ""): total or 0} if total else {}
    for field in fields:
        spelt = repository.field_text(field)
        rows = await session.execute(
            select(spelt, func.count()).where(in_register, spelt.is_not(None)).group_by(spelt)
        )
        counts.update({(field, str(value)): records for value, records in rows})
    return counts


async def test_counts_follow_every_change_whatever_the_values(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Pages read `count` from the counts kept with the records: after creates, updates that move a
    record between values, bulk updates, deletes, and values of every JSON type, they equal what the
    database counts afresh."""
    loose = {**SCHEMA, "properties": {**SCHEMA["properties"], "pupils": {"x-govhub-indexed": True}}}
    assert (await _modify(client, loose)).status_code == 200
    values: list[Any] = [1, 2.5, True, False, None, "1", {"a": [1, 2]}, [1, "x"], 10**20, "", 0]
    for number, value in enumerate(values):
        assert (await _create(client, _school(number, pupils=value))).status_code == 200
    assert (await _create(client, _school(50, phase="secondary"))).status_code == 200
    moved = await client.put(
        "/data/SCHOOL/1/updateEntries",
        json={"query": {"content": {"phase": "primary"}}, "write": {"content": {"phase": "nursery"}}},
        headers=OWNER,
    )
    assert moved.status_code == 200
    one = {"query": {"content": {"urn": "000001"}}, "write": {"content": {"pupils": 7, "phase": "x"}}}
    assert (await client.put("/data/SCHOOL/1/update", json=one, headers=OWNER)).status_code == 200
    assert (await client.delete("/data/SCHOOL/1/000002/delete", headers=OWNER)).status_code == 204

    register_id = await _register_id(session)
    kept = await _kept_counts(session, register_id)
    assert kept == await _fresh_counts(session, register_id, ["phase", "email", "pupils"])
    assert kept[("phase", "nursery")] == len(values) - 2

    page = (await client.get("/data/SCHOOL/1", params={"query.phase": "nursery", "pageSize": 2})).json()
    assert page["total"] == len(values) - 2
    everything = (await client.get("/data/SCHOOL/1", params={"pageSize": 1})).json()
    assert everything["total"] == len(values)
    assert (await client.get("/data/SCHOOL/1", params={"query.phase": "nowhere"})).json()["total"] == 0


async def test_counts_of_a_field_indexed_later_start_from_its_records(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    plain = {name: {"type": spec["type"]} for name, spec in SCHEMA["properties"].items()}
    plain["urn"]["primaryKey"] = True
    assert (await _modify(client, {**SCHEMA, "properties": plain})).status_code == 200
    for number in range(7):
        phase = "primary" if number % 2 else "secondary"
        assert (await _create(client, _school(number, phase=phase))).status_code == 200
    assert (await _modify(client, SCHEMA)).status_code == 200
    register_id = await _register_id(session)
    assert await _kept_counts(session, register_id) == await _fresh_counts(
        session, register_id, ["phase", "email", "pupils"]
    )
    page = (await client.get("/data/SCHOOL/2", params={"query.phase": "primary"})).json()
    assert page["total"] == 3


async def test_an_indexed_value_too_long_for_its_index_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await _modify(client, SCHEMA)).status_code == 200
    refused = await _create(client, _school(1, phase="p" * 501))
    assert refused.status_code == 422
    assert [error["pointer"] for error in refused.json()["errors"]] == ["/write/content/phase"]
    assert (await _create(client, _school(1, phase="p" * 500))).status_code == 200
    longer = {"query": {"content": {"urn": "000001"}}, "write": {"content": {"phase": "é" * 501}}}
    assert (await client.put("/data/SCHOOL/1/update", json=longer, headers=OWNER)).status_code == 422
    in_school = RegistryEntry.register_id == await _register_id(session)
    assert await session.scalar(select(func.count()).select_from(RegistryEntry).where(in_school)) == 1
