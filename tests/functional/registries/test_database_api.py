"""The GovStack Digital Registries Database API: registers as databases, schema versions as databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govhub.registries import demo

OWNER = {"Information-Mediator-Client": "GB/GOV/DfE/schools-app"}
OTHER = {"Information-Mediator-Client": "GB/GOV/Treasury/app"}
#: The GovStack scenario's client, granted the scenario's personal register by the demo data.
SCENARIO_CLIENT = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
SCHOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "urn": {"type": "string", "primaryKey": True},
        "name": {"type": "string"},
        "phase": {"type": "string", "enum": ["primary", "secondary"]},
    },
    "required": ["urn", "name"],
}


async def _modify(
    client: httpx.AsyncClient, schema: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    body = {"code": "SCHOOL", "catalogName": "Schools", "schema": schema, "classification": "open"}
    return await client.post("/database/modify", json=body, headers=headers)


async def test_databases_lists_every_register_the_caller_may_see_with_its_versions(
    client: httpx.AsyncClient,
) -> None:
    catalogue = (await client.get("/databases", headers=SCENARIO_CLIENT)).json()
    assert catalogue["id"] == 0
    assert {"COUNTRY", "MCTS"} <= {database["code"] for database in catalogue["databases"]}
    [mcts] = [database for database in catalogue["databases"] if database["code"] == "MCTS"]
    assert mcts["version"] == "111"
    assert mcts["name"] == "registryname"
    assert mcts["institution"] == demo.SCENARIO_OWNER
    one = (await client.get(f"/database/{mcts['id']}", headers=SCENARIO_CLIENT)).json()
    assert one["schema"]["properties"]["uuid"]["type"] == "string"

    # A member with no grant sees the open registers only, and the personal one's database is not there.
    others = {
        database["code"] for database in (await client.get("/databases", headers=OWNER)).json()["databases"]
    }
    assert "COUNTRY" in others
    assert not others & {"MCTS", "BIRTH"}
    hidden = await client.get(f"/database/{mcts['id']}", headers=OWNER)
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"There is no database {mcts['id']}."


async def test_create_a_register_then_write_to_it_and_version_it(client: httpx.AsyncClient) -> None:
    created = await _modify(client, SCHOOL_SCHEMA, OWNER)
    assert created.status_code == 200
    assert created.json()["properties"]["urn"]["primaryKey"] is True
    record = {"urn": "100000", "name": "Ambridge Primary", "phase": "primary"}
    write = await client.post("/data/SCHOOL/1/create", json={"write": {"content": record}}, headers=OWNER)
    assert write.status_code == 200

    newer = {**SCHOOL_SCHEMA, "properties": {**SCHOOL_SCHEMA["properties"], "pupils": {"type": "integer"}}}
    assert (await _modify(client, newer, OWNER)).status_code == 200
    versions = await _school_databases(client)
    assert [v["version"] for v in versions] == ["1", "2"]
    # The record written under version 1 is still there, readable through version 2.
    read = await client.post("/data/SCHOOL/2/read", json={"query": {"content": {"urn": "100000"}}})
    assert read.json()["content"]["name"] == "Ambridge Primary"

    in_use = await client.delete(f"/database/{versions[0]['id']}", headers=OWNER)
    assert in_use.status_code == 409
    unused = await client.delete(f"/database/{versions[1]['id']}", headers=OWNER)
    assert unused.status_code == 200
    assert unused.json() == "Success"


async def test_only_the_owner_changes_a_register(client: httpx.AsyncClient) -> None:
    assert (await _modify(client, SCHOOL_SCHEMA, OWNER)).status_code == 200
    assert (await _modify(client, SCHOOL_SCHEMA, OTHER)).status_code == 403
    assert (await _modify(client, SCHOOL_SCHEMA, {})).status_code == 401
    versions = await _school_databases(client)
    assert (await client.delete(f"/database/{versions[0]['id']}", headers=OTHER)).status_code == 403


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "object", "properties": {"a": {"type": "string"}}}, "primaryKey"),
        ({"type": "array", "properties": {"a": {"type": "string", "primaryKey": True}}}, "type: object"),
        (
            {"type": "object", "properties": {"a": {"type": "nonsense", "primaryKey": True}}},
            "not valid JSON Schema",
        ),
    ],
)
async def test_bad_schemas_are_422(client: httpx.AsyncClient, schema: dict[str, Any], fragment: str) -> None:
    response = await _modify(client, schema, OWNER)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


async def test_unknown_database_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/database/999999")).status_code == 404
    assert (await client.delete("/database/999999", headers=OWNER)).status_code == 404
    assert (await client.get("/database/not-a-number")).status_code == 400


async def _school_databases(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    catalogue = (await client.get("/databases")).json()
    return [database for database in catalogue["databases"] if database["code"] == "SCHOOL"]
