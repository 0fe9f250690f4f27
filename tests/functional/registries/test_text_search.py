"""Text search (`search=`) through each backend's full-text index: every word of the search, whole words,
in any value and any order; `filter` narrows the words to one field; the index follows every create,
update and delete in the same unit of work, and `count` agrees with the pages."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

OWNER = {"Information-Mediator-Client": "GB/GOV/DfE/schools-app"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "urn": {"type": "string", "primaryKey": True},
        "name": {"type": "string"},
        "town": {"type": "string"},
        "head": {"type": "object"},
        "phase": {"type": "string", "x-govhub-indexed": True},
    },
    "required": ["urn", "name"],
}
DATA = "/data/SEARCHED/1"


async def _register(client: httpx.AsyncClient, records: list[dict[str, Any]]) -> None:
    body = {"code": "SEARCHED", "catalogName": "Schools", "schema": SCHEMA, "classification": "open"}
    assert (await client.post("/database/modify", json=body, headers=OWNER)).status_code == 200
    for record in records:
        created = await client.post(f"{DATA}/create", json={"write": {"content": record}}, headers=OWNER)
        assert created.status_code == 200, created.text


async def _found(client: httpx.AsyncClient, **params: Any) -> tuple[int, list[str]]:
    response = await client.get(DATA, params={"pageSize": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["count"], [record["urn"] for record in body["results"]]


SCHOOLS: list[dict[str, Any]] = [
    {"urn": "1", "name": "Greenfield Primary", "town": "Leeds", "phase": "primary"},
    {"urn": "2", "name": "Leeds Grammar", "town": "Leeds", "phase": "secondary"},
    {"urn": "3", "name": "Greenfields Academy", "town": "York", "head": {"name": "Ada Leeds"}},
    {"urn": "4", "name": "St Mary's Primary", "town": "Côte-Sud", "phase": "primary"},
]


async def test_every_word_whole_in_any_value_in_any_order(client: httpx.AsyncClient) -> None:
    await _register(client, SCHOOLS)
    assert await _found(client, search="leeds") == (3, ["1", "2", "3"])  # a nested value counts too
    assert await _found(client, search="PRIMARY leeds") == (1, ["1"])
    assert await _found(client, search="greenfield") == (1, ["1"])  # whole words: not "Greenfields"
    assert await _found(client, search="green") == (0, [])
    assert await _found(client, search="mary's") == (1, ["4"])
    assert await _found(client, search="côte") == (1, ["4"])
    assert await _found(client, search="cote") == (0, [])
    assert await _found(client, search="!!!") == (0, [])
    # Search text is data, never query syntax: operators are words, quotes and stars punctuation.
    assert await _found(client, search="leeds OR york") == (0, [])
    assert await _found(client, search="NOT leeds") == (0, [])
    assert await _found(client, search="name:leeds") == (0, [])  # field names are not searched
    for asked in ['"leeds', "leeds*", "leeds)", "(leeds", "leeds^"]:
        assert await _found(client, search=asked) == (3, ["1", "2", "3"])


async def test_filter_keeps_the_words_to_one_field(client: httpx.AsyncClient) -> None:
    await _register(client, SCHOOLS)
    assert await _found(client, search="leeds", filter="town") == (2, ["1", "2"])
    assert await _found(client, search="leeds", filter="name") == (1, ["2"])
    assert await _found(client, search="leeds grammar", filter="name") == (1, ["2"])
    assert await _found(client, search="leeds", filter="phase") == (0, [])


async def test_search_combines_with_exact_filters_and_ordering(client: httpx.AsyncClient) -> None:
    await _register(client, SCHOOLS)
    assert await _found(client, search="leeds", **{"query.phase": "primary"}) == (1, ["1"])
    assert await _found(client, search="leeds", ordering="descending") == (3, ["3", "2", "1"])
    assert await _found(client, search="leeds", ordering="-name") == (3, ["2", "3", "1"])


async def test_the_index_follows_updates_and_deletes(client: httpx.AsyncClient) -> None:
    await _register(client, SCHOOLS)
    update = {"query": {"content": {"urn": "2"}}, "write": {"content": {"town": "Bradford"}}}
    assert (await client.put(f"{DATA}/update", json=update, headers=OWNER)).status_code == 200
    assert await _found(client, search="bradford") == (1, ["2"])
    assert await _found(client, search="leeds", filter="town") == (1, ["1"])
    assert (await client.delete(f"{DATA}/1/delete", headers=OWNER)).status_code == 204
    assert await _found(client, search="leeds") == (2, ["2", "3"])
    assert await _found(client, search="greenfield") == (0, [])


async def test_total_and_count_agree_with_every_page(client: httpx.AsyncClient) -> None:
    """`total` is every match, the same on each page; `count` what this page holds (GovStack's reading)."""
    schools = [
        {"urn": f"{n:03d}", "name": f"School {n}", "town": "Hull" if n % 3 else "Leeds"} for n in range(30)
    ]
    await _register(client, schools)
    seen: list[str] = []
    for page in (1, 2, 3):
        response = await client.get(DATA, params={"search": "school hull", "pageSize": 8, "page": page})
        body = response.json()
        assert body["total"] == 20
        assert body["count"] == len(body["results"]) == [8, 8, 4][page - 1]
        seen += [record["urn"] for record in body["results"]]
    assert seen == [f"{n:03d}" for n in range(30) if n % 3]


async def test_the_text_index_is_in_place_at_the_migrations_head(session: AsyncSession) -> None:
    """A later migration that rebuilds `registry_records` in batch mode on SQLite drops its triggers with
    the old table: the index would then silently stop following the records."""
    if session.get_bind().dialect.name == "sqlite":
        found = await session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'registry_records'")
        )
        expected = {f"registry_records_search_{change}" for change in ("insert", "update", "delete")}
        assert expected <= set(found)
    else:
        found = await session.scalars(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'registry_records'")
        )
        assert "ix_registry_records_search" in set(found)
