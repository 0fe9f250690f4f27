"""The GovStack Digital Registries data API 1.3.0 through the real app and database."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.ledger.verify import root_of_leaves
from govhub.registries.models import Register, RegistryEntry

SCENARIO = "/data/registryname/111"
CLIENT = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
STRANGER = {"Information-Mediator-Client": "eGovStack/COM/12345678/nosy"}
OWNER_OF_COUNTRIES = {"Information-Mediator-Client": "govhub/GOV/platform/admin"}
PROBLEM = "application/problem+json"
#: How the GovStack paths answer JSON, errors included (unless the client asks for a problem).
GOVSTACK_JSON = "application/json; charset=utf-8"


async def test_list_an_open_register_anonymously(client: httpx.AsyncClient) -> None:
    body = (await client.get("/data/country/1", params={"pageSize": 5})).json()
    assert body["total"] == 24
    assert [record["code"] for record in body["results"]] == ["AT", "BE", "CA", "DE", "DK"]
    assert "previous" not in body
    assert "page=2" in body["next"]
    last = (await client.get("/data/country/1", params={"pageSize": 5, "page": 5})).json()
    assert [record["code"] for record in last["results"]] == ["SE", "SG", "UA", "US"]
    assert "next" not in last


async def test_search_filter_and_ordering(client: httpx.AsyncClient) -> None:
    found = (await client.get("/data/country/1", params={"search": "kingdom"})).json()
    assert {r["code"] for r in found["results"]} == {"BE", "DK", "ES", "GB", "NL", "NO", "SE"}
    in_field = (await client.get("/data/country/1", params={"search": "united", "filter": "name"})).json()
    assert {r["code"] for r in in_field["results"]} == {"GB", "US"}
    exact = (await client.get("/data/country/1", params={"query.capital": "Oslo"})).json()
    assert [r["code"] for r in exact["results"]] == ["NO"]
    by_name = (await client.get("/data/country/1", params={"ordering": "-name", "pageSize": 2})).json()
    assert [r["name"] for r in by_name["results"]] == ["United States", "United Kingdom"]


async def test_personal_register_needs_a_granted_caller(client: httpx.AsyncClient) -> None:
    anonymous = await client.get(SCENARIO)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == GOVSTACK_JSON
    stranger = await client.get(SCENARIO, headers=STRANGER)
    assert stranger.status_code == 403
    assert "has not been granted" in stranger.json()["detail"]
    granted = await client.get(SCENARIO, headers=CLIENT)
    assert granted.status_code == 200
    assert granted.json()["total"] == 23


async def test_malformed_caller_header_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(SCENARIO, headers={"Information-Mediator-Client": "just-a-name"})
    assert response.status_code == 401
    assert "INSTANCE/CLASS/MEMBER/SUBSYSTEM" in response.json()["detail"]


async def test_create_read_exists_update_delete(client: httpx.AsyncClient) -> None:
    record = {"uuid": "u-1", "id": "EE100", "FirstName": "Ada", "LastName": "Lovelace"}
    created = await client.post(f"{SCENARIO}/create", json={"write": {"content": record}}, headers=CLIENT)
    assert created.status_code == 200
    assert created.json() == {"content": record}

    read = await client.post(f"{SCENARIO}/read", json={"query": {"content": {"id": "EE100"}}}, headers=CLIENT)
    assert read.json() == {"content": record}
    exists = await client.post(
        f"{SCENARIO}/exists", json={"query": {"content": {"id": "EE100"}}}, headers=CLIENT
    )
    assert exists.json()["answer"]["status"] is True

    updated = await client.put(
        f"{SCENARIO}/update",
        json={"query": {"content": {"uuid": "u-1"}}, "write": {"content": {"LastName": "King"}}},
        headers=CLIENT,
    )
    assert updated.status_code == 200
    assert updated.json()["content"]["LastName"] == "King"
    assert updated.json()["content"]["FirstName"] == "Ada"

    # A text value bare, as GovStack's clients expect (the spec allows it or `{"value": ...}`).
    value = await client.get(f"{SCENARIO}/u-1/readValue/LastName.json", headers=CLIENT)
    assert value.json() == "King"
    older = await client.get(f"{SCENARIO}/u-1/read-value/LastName.json", headers=CLIENT)
    assert older.json() == "King"

    deleted = await client.delete(f"{SCENARIO}/EE100/delete", headers=CLIENT)
    assert deleted.status_code == 204
    gone = await client.post(f"{SCENARIO}/read", json={"query": {"content": {"id": "EE100"}}}, headers=CLIENT)
    assert gone.status_code == 404
    assert gone.json()["detail"] == "no record found"

    leaves = (await client.get("/ledgers/register-registryname/entries", params={"start": 23})).json()[
        "entries"
    ]
    # A personal register's public leaves are salted commitments: three changes, nothing more said.
    committed = [json.loads(base64.b64decode(entry["leaf"])) for entry in leaves]
    assert [sorted(leaf) for leaf in committed] == [["commitment", "v"]] * 3


async def test_every_change_is_a_leaf_in_the_registers_ledger(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await client.post(
        "/data/country/1/create",
        json={"write": {"content": {"code": "JP", "name": "Japan"}}},
        headers=OWNER_OF_COUNTRIES,
    )
    entries = (await client.get("/ledgers/register-country/entries")).json()["entries"]
    assert len(entries) == 25
    last = json.loads(base64.b64decode(entries[-1]["leaf"]))
    assert last["kind"] == "create"
    assert last["key"] == "JP"
    assert last["entry"] == 25
    assert set(last) == {"register", "version", "entry", "kind", "key", "content_hash", "timestamp"}
    head = (await client.get("/ledgers/register-country")).json()
    leaves = [base64.b64decode(entry["leaf"]) for entry in entries]
    assert base64.b64decode(head["root_hash"]) == root_of_leaves(leaves)
    indexes = await session.scalars(
        select(RegistryEntry.ledger_index)
        .join(Register, Register.id == RegistryEntry.register_id)
        .where(Register.name == "country")
        .order_by(RegistryEntry.number)
    )
    assert list(indexes) == list(range(25))


async def test_writes_to_an_open_register_need_its_owner(client: httpx.AsyncClient) -> None:
    body = {"write": {"content": {"code": "JP", "name": "Japan"}}}
    assert (await client.post("/data/country/1/create", json=body)).status_code == 401
    assert (await client.post("/data/country/1/create", json=body, headers=STRANGER)).status_code == 403


async def test_a_record_breaking_the_schema_lists_every_failing_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/data/country/1/create",
        json={"write": {"content": {"code": "japan", "name": 7, "colour": "red"}}},
        headers=OWNER_OF_COUNTRIES,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:govhub:problem:invalid-record"
    pointers = {error["pointer"] for error in body["errors"]}
    assert {"/write/content", "/write/content/code", "/write/content/name"} <= pointers


async def test_a_duplicate_key_is_409(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/data/country/1/create",
        json={"write": {"content": {"code": "FR", "name": "France again"}}},
        headers=OWNER_OF_COUNTRIES,
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("path", "fragment"),
    [("/data/nothing/1", "no register called 'nothing'"), ("/data/country/9", "has no version '9'")],
)
async def test_unknown_register_or_version_is_404(
    client: httpx.AsyncClient, path: str, fragment: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert fragment in response.json()["detail"]


async def test_update_entries_changes_all_or_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await session.scalar(select(func.count()).select_from(RegistryEntry))
    bad = await client.put(
        f"{SCENARIO}/updateEntries",
        json={"query": {"content": {"LastName": "Smith"}}, "write": {"content": {"FirstName": 5}}},
        headers=CLIENT,
    )
    assert bad.status_code == 422
    assert await session.scalar(select(func.count()).select_from(RegistryEntry)) == before

    good = await client.put(
        f"{SCENARIO}/update-entries",
        json={
            "query": {"content": {"LastName": "Smith"}},
            "write": {"content": {"BirthCertificateID": "RR-0"}},
        },
        headers=CLIENT,
    )
    assert good.status_code == 200
    changed = good.json()["updated"]
    assert changed >= 2
    smiths = (await client.get(SCENARIO, params={"query.LastName": "Smith"}, headers=CLIENT)).json()
    assert {r["BirthCertificateID"] for r in smiths["results"]} == {"RR-0"}


async def test_update_of_several_matches_is_409(client: httpx.AsyncClient) -> None:
    response = await client.put(
        f"{SCENARIO}/update",
        json={"query": {"content": {"LastName": "Smith"}}, "write": {"content": {"FirstName": "X"}}},
        headers=CLIENT,
    )
    assert response.status_code == 409


async def test_update_or_create(client: httpx.AsyncClient) -> None:
    body: dict[str, Any] = {
        "query": {"content": {"uuid": "u-new"}},
        "write": {"content": {"id": "EE777", "FirstName": "New"}},
    }
    created = await client.post(f"{SCENARIO}/updateOrCreate", json=body, headers=CLIENT)
    assert created.json()["content"] == {"uuid": "u-new", "id": "EE777", "FirstName": "New"}
    body["write"]["content"]["FirstName"] = "Renamed"
    updated = await client.post(f"{SCENARIO}/updateOrCreate", json=body, headers=CLIENT)
    assert updated.json()["content"]["FirstName"] == "Renamed"


async def test_reads_of_personal_data_are_shown_to_the_person(client: httpx.AsyncClient) -> None:
    await client.post(
        f"{SCENARIO}/read",
        json={"query": {"content": {"id": "EE123627348834"}}},
        headers={**CLIENT, "X-Purpose": "checking a birth registration"},
    )
    usage = await client.get(
        "/data/myPersonalDataUsage", params={"userId": "EE123627348834", "databaseId": "MCTS"}, headers=CLIENT
    )
    assert usage.status_code == 200
    [entry] = usage.json()
    assert entry["readerId"] == CLIENT["Information-Mediator-Client"]
    assert entry["readerInstitutionId"] == "eGovStack/GOV/90000009"
    assert entry["purpose"] == "checking a birth registration"
    assert entry["refrences"] == [{"ReferenceID": "80bcb084-fa17-11ed-be56-0242ac120002"}]
    older = await client.get(
        "/data/MyPersonalDataUsage/1.0",
        params={"userId": "EE123627348834", "databaseId": "MCTS"},
        headers=CLIENT,
    )
    assert older.json() == usage.json()
    nobody = await client.get(
        "/data/myPersonalDataUsage",
        params={"userId": "EE123627348834", "databaseId": "MCTS"},
        headers=STRANGER,
    )
    assert nobody.json() == []


async def test_reading_an_open_register_logs_nothing(client: httpx.AsyncClient) -> None:
    await client.post("/data/country/1/read", json={"query": {"content": {"code": "EE"}}})
    usage = await client.get(
        "/data/myPersonalDataUsage",
        params={"userId": "EE", "databaseId": "COUNTRY"},
        headers=OWNER_OF_COUNTRIES,
    )
    assert usage.json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/create", {"write": {}}),
        ("POST", "/read", {"query": {"content": "x"}}),
        ("PUT", "/update", {}),
        ("POST", "/exists", []),
    ],
)
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, method: str, path: str, body: Any) -> None:
    """GovStack's clients expect 400 for a malformed request, as plain JSON; a problem if they ask for one."""
    response = await client.request(method, SCENARIO + path, json=body, headers=CLIENT)
    assert response.status_code == 400
    assert response.headers["content-type"] == GOVSTACK_JSON
    assert response.json()["errors"]
    asked = await client.request(method, SCENARIO + path, json=body, headers={**CLIENT, "Accept": PROBLEM})
    assert (asked.status_code, asked.headers["content-type"]) == (400, PROBLEM)


async def test_non_json_bodies_are_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{SCENARIO}/create", content=b"id=1", headers={**CLIENT, "content-type": "text/plain"}
    )
    assert response.status_code == 415


async def test_the_nul_character_is_refused_or_matches_nothing(client: httpx.AsyncClient) -> None:
    """No register stores NUL (PostgreSQL cannot read it back out of JSON), so a record holding it is
    refused, and a query asking for it finds nothing: never a server error, on either backend."""
    person = {"uuid": "nul-1", "id": "EE1", "FirstName": "A\u0000B", "PersonalData": [{"x\u0000": 1}]}
    refused = await client.post(f"{SCENARIO}/create", json={"write": {"content": person}}, headers=CLIENT)
    assert refused.status_code == 422
    assert sorted(error["pointer"] for error in refused.json()["errors"]) == [
        "/write/content/FirstName",
        "/write/content/PersonalData/0/x\u0000",
    ]
    odd_field = {"query": {"content": {"id\u0000": "EE1"}}, "write": {"content": {"FirstName": "C"}}}
    none = await client.put(f"{SCENARIO}/updateEntries", json=odd_field, headers=CLIENT)
    assert (none.status_code, none.json()) == (200, {"updated": 0})
    query = {"query": {"content": {"uuid": "a\u0000"}}}
    assert (await client.post(f"{SCENARIO}/read", json=query, headers=CLIENT)).status_code == 404
    assert (await client.delete(f"{SCENARIO}/ID%00/delete", headers=CLIENT)).status_code == 404
    value = await client.get(f"{SCENARIO}/ID%00/readValue/FirstName.json", headers=CLIENT)
    assert value.status_code == 404
    usage = await client.get(
        "/data/myPersonalDataUsage", params={"userId": "EE1", "databaseId": "\u0000"}, headers=CLIENT
    )
    assert usage.status_code == 400
    open_read = await client.post("/data/country/1/read", json={"query": {"content": {"code": "N\u0000"}}})
    assert open_read.status_code == 404
