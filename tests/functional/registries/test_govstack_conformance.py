"""GovStack's Digital Registries conformance scenarios as govhub's own tests: what each scenario that can pass
sends and expects (status, content type, body), after `govhub govstack load` loaded GovStack's scenario data.
The scenarios themselves are GovStack's (GovStackWorkingGroup/bb-digital-registries `test/openAPI`); these
tests copy none of their code, only what they send and check. docs/api.md lists the scenarios that cannot pass
and why."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.registries import load_govstack_scenario, read_scenario_data
from govhub.registries.models import RegistryEntry

SCENARIO = "/data/registryname/111"
#: The scenario data's `informationMediatorClientHeader`, sent by every scenario.
CLIENT = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
STRANGER = {"Information-Mediator-Client": "eGovStack/COM/12345678/nosy"}
#: GovStack's scenarios compare the Content-Type exactly.
JSON_UTF8 = "application/json; charset=utf-8"
PROBLEM = "application/problem+json"
#: The ids of the scenario data's databases (group MCTS).
DATABASE_IDS = [1, 123, 8438778473, 3287483474, 8484848484, 75858, 6745, 896756, 234234, 34536]


@pytest.fixture
async def loaded(session: AsyncSession, settings: Settings) -> list[str]:
    """GovStack's scenario data, loaded as `govhub govstack load` does (the test rolls it back)."""
    report = list(await load_govstack_scenario(session, settings))
    await session.commit()
    return report


def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON_UTF8
    return response.json()


# --- the loader -----------------------------------------------------------------------------------------


async def test_the_loader_loads_the_file_and_a_second_run_changes_nothing(
    loaded: list[str], session: AsyncSession, settings: Settings
) -> None:
    assert loaded[0].startswith("register registryname: 0 records added, 23 already there")
    assert loaded[1] == "register registryempty: there, with no records"
    assert loaded[2].startswith("databases: 10 added, 0 already there")
    entries = await session.scalar(select(func.count()).select_from(RegistryEntry))
    again = list(await load_govstack_scenario(session, settings))
    assert again == [
        "register registryname: 0 records added, 23 already there",
        "register registryempty: there, with no records",
        "databases: 0 added, 10 already there",
    ]
    assert await session.scalar(select(func.count()).select_from(RegistryEntry)) == entries


async def test_the_loader_puts_back_what_the_scenarios_changed_and_deleted(
    loaded: list[str], client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    del loaded
    changed = {"query": {"content": {"FirstName": "Alina"}}, "write": {"content": {"FirstName": "Jack"}}}
    assert (await client.put(f"{SCENARIO}/update-entries", json=changed, headers=CLIENT)).status_code == 200
    assert (await client.delete(f"{SCENARIO}/EE378627348855/delete", headers=CLIENT)).status_code == 204
    assert (await client.delete("/database/75858", headers=CLIENT)).status_code == 200

    report = list(await load_govstack_scenario(session, settings))
    await session.commit()
    assert report[0] == (
        "register registryname: 1 records added, 22 already there (1 put back as the file has them)"
    )
    assert report[2] == "databases: 1 added, 9 already there"
    alina = await client.post(
        f"{SCENARIO}/read", json={"query": {"content": {"FirstName": "Alina"}}}, headers=CLIENT
    )
    assert _json(alina)["content"]["LastName"] == "Soft"
    snow = await client.post(
        f"{SCENARIO}/exists", json={"query": {"content": {"id": "EE378627348855"}}}, headers=CLIENT
    )
    assert _json(snow)["answer"]["status"] is True
    assert (await client.get("/database/75858", headers=CLIENT)).status_code == 200


async def test_the_loader_reads_govstacks_own_file_with_its_comments_and_repeated_uuid(
    session: AsyncSession, settings: Settings, tmp_path: Any
) -> None:
    """GovStack's `test-data.json` has comment strings among its records and databases, and gives two
    records the same uuid: the first is loaded, the other skipped and counted."""
    data = read_scenario_data(None)
    records = data["registries"]["records"]
    data["registries"]["records"] = [
        *records,
        "//records below have to be deleted in the test",
        {**records[0], "id": "EE378129277266"},
    ]
    report = list(await load_govstack_scenario(session, settings, data))
    assert report[0] == (
        "register registryname: 0 records added, 23 already there; "
        "1 records skipped (no uuid, or one repeated)"
    )
    path = tmp_path / "not-scenario-data.json"
    path.write_text("[]")
    with pytest.raises(ValueError, match="no `registries` object"):
        read_scenario_data(path)


async def test_a_database_id_the_file_claims_moves_another_version_out_of_its_way(
    loaded: list[str], client: httpx.AsyncClient
) -> None:
    """Database 1 is the scenario's; the version shown as 1 before the loader ran (the demo's first
    register's) is shown under a new id, and the report says so."""
    [moved] = [part for part in loaded[2].split("; ") if part.startswith("shown under another id now")]
    assert "database 1 (register " in moved
    new_id = int(moved.rsplit(" ", 1)[1])
    shown = _json(await client.get(f"/database/{new_id}"))
    assert shown["code"] != "MCTS"
    assert shown["classification"] == "open"
    one = _json(await client.get("/database/1", headers=CLIENT))
    assert (one["code"], one["version"]) == ("MCTS", "1.1.1")


# --- data_create ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        # The scenarios send the record bare, spelling `Firstname` so; the spec wraps it in write.content.
        {"ID": "This works", "Firstname": "Anna", "LastName": "Stock", "BirthCertificateID": "RR-1234567993"},
        {"write": {"content": {"ID": "EE34534123", "FirstName": "Zofia", "LastName": "Don"}}},
    ],
)
async def test_create_a_record_without_uuid(
    loaded: list[str], client: httpx.AsyncClient, record: dict[str, Any]
) -> None:
    del loaded
    body = _json(await client.post(f"{SCENARIO}/create", json=record, headers=CLIENT))
    content = body["content"]
    sent = record.get("write", {}).get("content", record)
    assert {key: content[key] for key in sent} == sent
    uuid = content["uuid"]
    assert len(uuid) == 36
    # Its uuid addresses it on the spec's {uuid} paths.
    assert (
        _json(await client.get(f"{SCENARIO}/{uuid}/read-value/LastName.json", headers=CLIENT))
        == sent["LastName"]
    )
    # The same record again is another record (the scenarios create "This works" five times).
    again = _json(await client.post(f"{SCENARIO}/create", json=record, headers=CLIENT))
    assert again["content"]["uuid"] != uuid


async def test_create_needs_a_granted_caller_and_a_record(
    loaded: list[str], client: httpx.AsyncClient
) -> None:
    del loaded
    record = {"ID": "X1", "FirstName": "Eve"}
    assert _json(await client.post(f"{SCENARIO}/create", json=record), 401)["status"] == 401
    assert _json(await client.post(f"{SCENARIO}/create", json=record, headers=STRANGER), 403)["status"] == 403
    empty = await client.post(f"{SCENARIO}/create", json={}, headers=CLIENT)
    assert _json(empty, 400)["errors"][0]["pointer"] == "/write"
    typed = await client.post(f"{SCENARIO}/create", json={"ID": 7}, headers=CLIENT)
    assert _json(typed, 422)["errors"][0]["pointer"] == "/write/content/ID"


# --- data_exist -----------------------------------------------------------------------------------------


async def test_exists_answers_false_for_a_bare_query_that_matches_nothing(
    loaded: list[str], client: httpx.AsyncClient
) -> None:
    del loaded
    for first_name in ("FirstName", "Jack"):
        body = {"ID": "ID", "FirstName": first_name, "LastName": "LastName", "BirthCertificateID": "B"}
        answer = _json(await client.post(f"{SCENARIO}/exists", json=body, headers=CLIENT))
        assert answer == {"answer": {"status": False, "message": "Object not found from database"}}
    jack = _json(await client.post(f"{SCENARIO}/exists", json={"FirstName": "Jack"}, headers=CLIENT))
    assert jack["answer"]["status"] is True


# --- data_list ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "ordering"), [("John", "ascending"), ("Alice", "descending"), ("Jack", "ascending")]
)
async def test_list_filtered_by_first_name(
    loaded: list[str], client: httpx.AsyncClient, search: str, ordering: str
) -> None:
    del loaded
    params = {"search": search, "filter": "FirstName", "ordering": ordering}
    page = _json(await client.get(SCENARIO, params=params, headers=CLIENT))
    assert page["results"]
    assert {record["FirstName"] for record in page["results"]} == {search}
    assert page["count"] == len(page["results"])


async def test_count_is_the_length_of_results_on_every_page(
    loaded: list[str], client: httpx.AsyncClient
) -> None:
    del loaded
    first = _json(await client.get(SCENARIO, headers=CLIENT))
    assert (first["count"], len(first["results"]), first["total"]) == (10, 10, 23)
    last = _json(await client.get(SCENARIO, params={"page": 3}, headers=CLIENT))
    assert (last["count"], len(last["results"]), last["total"]) == (3, 3, 23)
    assert "next" not in last


async def test_the_empty_register_lists_nothing(loaded: list[str], client: httpx.AsyncClient) -> None:
    del loaded
    assert _json(await client.get("/data/registryempty/111", headers=CLIENT)) == {
        "count": 0,
        "total": 0,
        "results": [],
    }
    assert (await client.get("/data/registryempty/111", headers=STRANGER)).status_code == 403


# --- data_my_personal_data_usage ------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["EE378129277266", "EE378129127223", "EE334569121212", "EE390029120500"])
async def test_my_personal_data_usage_on_the_older_path(
    loaded: list[str], client: httpx.AsyncClient, user: str
) -> None:
    del loaded
    params = {"userID": user, "DatabaseID": "MCTS"}
    uses = _json(await client.get("/data/MyPersonalDataUsage/1.0", params=params, headers=CLIENT))
    assert isinstance(uses, list)


async def test_my_personal_data_usage_lists_the_reads_of_a_persons_record(
    loaded: list[str], client: httpx.AsyncClient
) -> None:
    del loaded
    read = await client.post(
        f"{SCENARIO}/read", json={"query": {"content": {"id": "EE390029120500"}}}, headers=CLIENT
    )
    assert _json(read)["content"]["FirstName"] == "Ana"
    params = {"userId": "EE390029120500", "databaseId": "MCTS"}
    [use] = _json(await client.get("/data/myPersonalDataUsage", params=params, headers=CLIENT))
    assert use["readerId"] == CLIENT["Information-Mediator-Client"]
    assert use["refrences"] == [{"ReferenceID": "80bcc57e-fa17-11ed-be56-0242ac120002"}]


@pytest.mark.parametrize(
    "params",
    [
        {"userID": "...", "DatabaseID": "MCTS"},
        {"userID": "EE378129277266", "DatabaseID": "..."},
        {"userID": "EE378129277266"},
        {"DatabaseID": "MCTS"},
        {"userId": "EE1", "databaseId": "\u0000"},
    ],
)
async def test_my_personal_data_usage_refuses_malformed_parameters_with_400(
    loaded: list[str], client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    del loaded
    refused = _json(await client.get("/data/MyPersonalDataUsage/1.0", params=params, headers=CLIENT), 400)
    assert refused["status"] == 400
    assert refused["detail"]
    # A client that asks for RFC 9457 gets it.
    asked = await client.get(
        "/data/MyPersonalDataUsage/1.0", params=params, headers={**CLIENT, "Accept": PROBLEM}
    )
    assert (asked.status_code, asked.headers["content-type"]) == (400, PROBLEM)


async def test_my_personal_data_usage_needs_a_caller(loaded: list[str], client: httpx.AsyncClient) -> None:
    del loaded
    params = {"userID": "EE378129277266", "DatabaseID": "MCTS"}
    assert _json(await client.get("/data/MyPersonalDataUsage/1.0", params=params), 401)["status"] == 401
    assert _json(await client.get("/data/MyPersonalDataUsage/1.0", params=params, headers=STRANGER)) == []


# --- data_read and data_read_value ----------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("FirstName", "Eva"), ("LastName", "Smith")])
async def test_read_by_one_field(
    loaded: list[str], client: httpx.AsyncClient, field: str, value: str
) -> None:
    del loaded
    body = _json(
        await client.post(f"{SCENARIO}/read", json={"query": {"content": {field: value}}}, headers=CLIENT)
    )
    assert body["content"][field] == value


async def test_a_record_not_found_is_404_with_govstacks_detail(
    loaded: list[str], client: httpx.AsyncClient
) -> None:
    del loaded
    query = {"query": {"content": {"FirstName": "NotExist"}}}
    assert _json(await client.post(f"{SCENARIO}/read", json=query, headers=CLIENT), 404)["detail"] == (
        "no record found"
    )


async def test_read_value_answers_a_text_value_bare(loaded: list[str], client: httpx.AsyncClient) -> None:
    del loaded
    uuid = "80bcb084-fa17-11ed-be56-0242ac120002"
    assert _json(await client.get(f"{SCENARIO}/{uuid}/read-value/FirstName.json", headers=CLIENT)) == "John"
    assert _json(await client.get(f"{SCENARIO}/{uuid}/readValue/FirstName.json", headers=CLIENT)) == "John"
    # Any other value as {"value": ...}, the spec's other shape.
    assert _json(await client.get(f"{SCENARIO}/{uuid}/readValue/PersonalData.json", headers=CLIENT)) == {
        "value": []
    }
    missing = await client.get(f"{SCENARIO}/{uuid}/read-value/Nickname.json", headers=CLIENT)
    assert _json(missing, 404)["status"] == 404
    assert (
        await client.get(f"{SCENARIO}/{uuid}/read-value/FirstName.json", headers=STRANGER)
    ).status_code == 403


# --- data_update_entries and data_update_or_create ------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [("Alina", "Jack"), ("Casandra", "Tamara"), ("Olga", "Alice")])
async def test_update_entries_by_first_name(
    loaded: list[str], client: httpx.AsyncClient, before: str, after: str
) -> None:
    del loaded
    body = {"query": {"content": {"FirstName": before}}, "write": {"content": {"FirstName": after}}}
    assert _json(await client.put(f"{SCENARIO}/update-entries", json=body, headers=CLIENT)) == {"updated": 1}
    # GovStack's scenarios send each request more than once: the repeat matches nothing and changes nothing.
    assert _json(await client.put(f"{SCENARIO}/update-entries", json=body, headers=CLIENT)) == {"updated": 0}
    assert (await client.put(f"{SCENARIO}/update-entries", json=body, headers=STRANGER)).status_code == 403


async def test_update_or_create_creates_then_updates(loaded: list[str], client: httpx.AsyncClient) -> None:
    del loaded
    person = {"ID": "EE123456789012", "FirstName": "John", "LastName": "Smith", "BirthCertificateID": "RR-1"}
    both = {"query": {"content": person}, "write": {"content": person}}
    created = _json(await client.post(f"{SCENARIO}/update-or-create", json=both, headers=CLIENT))["content"]
    assert {key: created[key] for key in person} == person
    assert created["uuid"]
    renamed = {**person, "FirstName": "Jack", "LastName": "Sparrow"}
    body = {"query": {"content": person}, "write": {"content": renamed}}
    updated = _json(await client.post(f"{SCENARIO}/update-or-create", json=body, headers=CLIENT))["content"]
    assert {key: updated[key] for key in renamed} == renamed
    assert updated["uuid"] == created["uuid"]
    again = await client.post(f"{SCENARIO}/updateOrCreate", json=body, headers=STRANGER)
    assert again.status_code == 403


# --- the Database API -----------------------------------------------------------------------------------


async def test_databases_answer_the_specs_object(loaded: list[str], client: httpx.AsyncClient) -> None:
    del loaded
    catalogue = _json(await client.get("/databases", headers=CLIENT))
    # The scenario's schema: an object with these members and no others.
    assert set(catalogue) <= {"id", "name", "code", "databases", "group_id", "order", "data_index_increment"}
    assert isinstance(catalogue["id"], int)
    mcts = {database["id"] for database in catalogue["databases"] if database["code"] == "MCTS"}
    assert set(DATABASE_IDS) <= mcts
    # A caller without a grant does not see them.
    other = _json(await client.get("/databases", headers=STRANGER))
    assert not {database["id"] for database in other["databases"]} & set(DATABASE_IDS)


@pytest.mark.parametrize("database_id", [1, 123, 8438778473, 3287483474, 8484848484])
async def test_a_database_by_its_id_of_any_size(
    loaded: list[str], client: httpx.AsyncClient, database_id: int
) -> None:
    del loaded
    database = _json(await client.get(f"/database/{database_id}", headers=CLIENT))
    assert database["id"] == database_id
    assert database["schema"]["properties"]["ID"]["primaryKey"] is True
    assert (await client.get(f"/database/{database_id}", headers=STRANGER)).status_code == 404


@pytest.mark.parametrize("database_id", [75858, 6745, 896756, 234234])
async def test_delete_a_database(loaded: list[str], client: httpx.AsyncClient, database_id: int) -> None:
    del loaded
    assert (await client.delete(f"/database/{database_id}", headers=STRANGER)).status_code == 404
    assert _json(await client.delete(f"/database/{database_id}", headers=CLIENT)) == "Success"
    assert _json(await client.get(f"/database/{database_id}", headers=CLIENT), 404)["status"] == 404


async def test_malformed_database_ids_are_400(loaded: list[str], client: httpx.AsyncClient) -> None:
    del loaded
    for path in ("/database/not-a-number", "/database/0", f"/database/{2**63}"):
        assert _json(await client.get(path, headers=CLIENT), 400)["status"] == 400
