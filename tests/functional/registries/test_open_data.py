"""Open data: whole open registers as CSV and JSON, and the entry stream whose leaves add up to the
ledger's signed checkpoint; personal registers are not open data."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.note import NoteVerifier, open_checkpoint
from govhub.ledger.verify import root_of_leaves
from govhub.registries import open_data
from govhub.registries.caller import Caller
from govhub.registries.definitions import RegisterDefinition
from govhub.registries.records import canonical_json
from govhub.registries.service import RegistriesService
from tests.support.registries import open_register

PROBLEM = "application/problem+json"
OWNER_OF_COUNTRIES = {"Information-Mediator-Client": "govhub/GOV/platform/admin"}
GRANTED = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
DOWNLOADS = ("download.csv", "download.json", "entries.json")


async def create_places(session: AsyncSession, settings: Settings) -> None:
    """An open register whose records hold nested values and a field the schema does not name."""
    registries = RegistriesService.for_session(session, settings)
    await registries.define(
        RegisterDefinition(
            name="places",
            title="Places",
            description="Places with tags and a location.",
            classification="open",
            owner="govhub/GOV/platform",
            database_code="PLACES",
            version="1",
            record_schema={
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "tags": {"type": "array"},
                    "location": {"type": "object"},
                    "open": {"type": "boolean"},
                },
                "required": ["id"],
            },
            key_field="id",
        )
    )
    opened = await registries.open("places", "1", Caller("govhub/GOV/platform/loader"), write=True)
    await registries.create(
        opened,
        {
            "id": "p1",
            "tags": ["a", "b"],
            "location": {"lat": 51.5, "lon": -0.1},
            "open": True,
            "note": 'é, "q"',
        },
    )
    await registries.create(opened, {"id": "p2"})
    await session.commit()


def rows_of(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


async def test_csv_has_every_current_record_in_key_order(client: httpx.AsyncClient) -> None:
    response = await client.get("/registers/country/download.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="country.csv"'
    rows = rows_of(response)
    assert rows[0] == ["code", "name", "official_name", "capital"]
    assert len(rows) == 25
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])
    assert ["GB", "United Kingdom", "United Kingdom of Great Britain and Northern Ireland", "London"] in rows
    assert ["IS", "Iceland", "Iceland", "Reykjavík"] in rows


async def test_csv_columns_are_the_union_of_fields_and_nested_values_are_json(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_places(session, settings)
    rows = rows_of(await client.get("/registers/places/download.csv"))
    assert rows == [
        ["id", "tags", "location", "open", "note"],
        ["p1", '["a","b"]', '{"lat":51.5,"lon":-0.1}', "true", 'é, "q"'],
        ["p2", "", "", "", ""],
    ]


async def test_json_download_is_the_register_and_its_current_records(client: httpx.AsyncClient) -> None:
    await client.put(
        "/data/country/1/update",
        json={"write": {"content": {"code": "GB", "capital": "London (changed)"}}},
        headers=OWNER_OF_COUNTRIES,
    )
    await client.delete("/data/country/1/US/delete", headers=OWNER_OF_COUNTRIES)
    response = await client.get("/registers/country/download.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["register"] == "country"
    assert body["title"] == "Countries"
    assert body["version"] == "1"
    assert len(body["records"]) == 23
    by_code = {record["code"]: record for record in body["records"]}
    assert by_code["GB"]["capital"] == "London (changed)"
    assert "US" not in by_code


async def test_downloads_read_the_register_in_chunks(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk boundaries neither drop nor repeat a record or an entry."""
    whole_csv = (await client.get("/registers/country/download.csv")).text
    whole_json = (await client.get("/registers/country/download.json")).json()
    whole_entries = (await client.get("/registers/country/entries.json")).json()
    for size in (1, 5, 7, 24):
        monkeypatch.setattr(open_data, "CHUNK", size)
        assert (await client.get("/registers/country/download.csv")).text == whole_csv
        assert (await client.get("/registers/country/download.json")).json() == whole_json
        assert (await client.get("/registers/country/entries.json")).json() == whole_entries


async def test_entry_stream_recomputes_to_the_signed_checkpoint(client: httpx.AsyncClient) -> None:
    await client.put(
        "/data/country/1/update",
        json={"write": {"content": {"code": "FR", "capital": "Paris (changed)"}}},
        headers=OWNER_OF_COUNTRIES,
    )
    await client.delete("/data/country/1/FR/delete", headers=OWNER_OF_COUNTRIES)

    response = await client.get("/registers/country/entries.json")
    assert response.status_code == 200
    stream = response.json()
    assert stream["register"] == "country"
    assert stream["ledger"] == "register-country"
    assert stream["verify"] == "govhub ledger verify register-country --url http://127.0.0.1:8000"

    key = (await client.get(f"/ledgers/{stream['ledger']}/key")).text.strip()
    checkpoint, signers = open_checkpoint(stream["checkpoint"], [NoteVerifier.from_verifier_key(key)])
    assert signers
    entries = stream["entries"]
    assert checkpoint.size == stream["tree_size"] == len(entries) == 26
    leaves = [base64.b64decode(entry["leaf"]) for entry in entries]
    assert root_of_leaves(leaves) == checkpoint.root_hash

    assert [entry["number"] for entry in entries] == list(range(1, 27))
    assert [entry["ledger_index"] for entry in entries] == list(range(26))
    assert [entry["kind"] for entry in entries[-2:]] == ["update", "delete"]
    assert entries[-1]["content"] is None
    for entry, leaf in zip(entries, leaves, strict=True):
        assert entry["content_hash"] == hashlib.sha256(canonical_json(entry["content"])).hexdigest()
        committed = json.loads(leaf)
        assert committed == {
            "register": "country",
            "version": entry["version"],
            "entry": entry["number"],
            "kind": entry["kind"],
            "key": entry["key"],
            "content_hash": entry["content_hash"],
            "timestamp": entry["timestamp"],
        }
        assert leaf == canonical_json(committed)


async def test_an_empty_open_register_downloads_as_empty(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    registries = RegistriesService.for_session(session, settings)
    await registries.define(open_register("empty", {"id": {"type": "string"}}, "id"))
    await session.commit()
    assert rows_of(await client.get("/registers/empty/download.csv")) == [["id"]]
    assert (await client.get("/registers/empty/download.json")).json()["records"] == []
    stream = (await client.get("/registers/empty/entries.json")).json()
    assert stream["entries"] == []
    assert stream["tree_size"] == 0


@pytest.mark.parametrize("download", DOWNLOADS)
async def test_unknown_register_is_a_404_problem(client: httpx.AsyncClient, download: str) -> None:
    for name in ("nonesuch", "%00", "country%00"):
        response = await client.get(f"/registers/{name}/{download}")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:govhub:problem:register-not-found"


@pytest.mark.parametrize("download", DOWNLOADS)
async def test_personal_register_is_not_open_data(client: httpx.AsyncClient, download: str) -> None:
    for headers in ({}, GRANTED):
        response = await client.get(f"/registers/registryname/{download}", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["type"] == "urn:govhub:problem:not-granted"
        assert "only available to granted members" in body["detail"]
        assert "Lovelace" not in response.text


async def test_downloads_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for download in DOWNLOADS:
        operation = paths[f"/registers/{{name}}/{download}"]["get"]
        assert operation["tags"] == ["registries"]
        assert {"200", "403", "404"} <= set(operation["responses"])
    assert "/registers/{name}" not in paths
