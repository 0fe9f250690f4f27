"""The ledger's HTTP API through the real app and database, checked with the auditor's own verifiers."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.note import NoteVerifier, open_note, parse_checkpoint
from govhub.ledger.verify import leaf_hash, root_of_leaves, verify_consistency, verify_inclusion
from tests.support.ledgers import create_ledger, sample_leaves

PROBLEM = "application/problem+json"


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@pytest.fixture
async def leaves(session: AsyncSession, settings: Settings) -> list[bytes]:
    """A 37-entry ledger called `sample`, appended in uneven batches."""
    records = sample_leaves(37)
    await create_ledger(session, settings, "sample", records, batch=5)
    await session.commit()  # into the test's outer transaction, which is rolled back afterwards
    return records


async def test_list_ledgers(client: httpx.AsyncClient, leaves: list[bytes]) -> None:
    response = await client.get("/ledgers")
    assert response.status_code == 200
    [sample] = [ledger for ledger in response.json()["ledgers"] if ledger["name"] == "sample"]
    assert sample["size"] == 37
    assert unb64(sample["root_hash"]) == root_of_leaves(leaves)
    assert sample["origin"] == "127.0.0.1:8000/ledgers/sample"


async def test_one_ledgers_head(client: httpx.AsyncClient, leaves: list[bytes]) -> None:
    body = (await client.get("/ledgers/sample")).json()
    assert body["size"] == len(leaves)
    assert unb64(body["root_hash"]) == root_of_leaves(leaves)


async def test_checkpoint_is_a_signed_note_over_the_tree_head(
    client: httpx.AsyncClient, leaves: list[bytes]
) -> None:
    response = await client.get("/ledgers/sample/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    key = (await client.get("/ledgers/sample/key")).text.strip()
    body, signers = open_note(response.text, [NoteVerifier.from_verifier_key(key)])
    assert [signer.name for signer in signers] == ["127.0.0.1:8000/ledger"]
    checkpoint = parse_checkpoint(body)
    assert checkpoint.origin == "127.0.0.1:8000/ledgers/sample"
    assert checkpoint.size == 37
    assert checkpoint.root_hash == root_of_leaves(leaves)


@pytest.mark.usefixtures("leaves")
async def test_the_same_head_gives_the_same_checkpoint(client: httpx.AsyncClient) -> None:
    first = (await client.get("/ledgers/sample/checkpoint")).text
    second = (await client.get("/ledgers/sample/checkpoint")).text
    assert first == second
    keys = (await client.get("/ledgers/sample/keys")).json()
    assert keys["current"] in keys["all"]


async def test_entries_are_the_exact_bytes_with_their_hashes(
    client: httpx.AsyncClient, leaves: list[bytes]
) -> None:
    body = (await client.get("/ledgers/sample/entries", params={"start": 3, "end": 6})).json()
    assert [entry["index"] for entry in body["entries"]] == [3, 4, 5, 6]
    for entry in body["entries"]:
        assert unb64(entry["leaf"]) == leaves[entry["index"]]
        assert unb64(entry["leaf_hash"]) == leaf_hash(leaves[entry["index"]])
    assert body["next_start"] is None


@pytest.mark.usefixtures("leaves")
async def test_entries_clamp_to_the_end_of_the_ledger(client: httpx.AsyncClient) -> None:
    body = (await client.get("/ledgers/sample/entries", params={"start": 30, "end": 1000})).json()
    assert [entry["index"] for entry in body["entries"]] == list(range(30, 37))
    assert body["next_start"] is None


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"start": 37}, 400, "past the end"),
        ({"start": 10, "end": 5}, 400, "before start"),
        ({"start": -1}, 422, "greater than or equal to 0"),
        ({"start": "ten"}, 422, "valid integer"),
    ],
)
@pytest.mark.usefixtures("leaves")
async def test_bad_entry_ranges_are_clear_4xx(
    client: httpx.AsyncClient, params: dict[str, Any], status: int, fragment: str
) -> None:
    response = await client.get("/ledgers/sample/entries", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert fragment in response.text


async def test_every_inclusion_proof_verifies(client: httpx.AsyncClient, leaves: list[bytes]) -> None:
    for tree_size in (1, 2, 7, 8, 16, 31, 37):
        root = root_of_leaves(leaves[:tree_size])
        for index in range(tree_size):
            response = await client.get(
                "/ledgers/sample/proof/inclusion", params={"index": index, "tree_size": tree_size}
            )
            assert response.status_code == 200
            body = response.json()
            assert body["index"] == index
            assert body["tree_size"] == tree_size
            assert unb64(body["leaf_hash"]) == leaf_hash(leaves[index])
            verify_inclusion(
                leaf_hash(leaves[index]), index, tree_size, [unb64(n) for n in body["path"]], root
            )


async def test_inclusion_defaults_to_the_current_size(client: httpx.AsyncClient, leaves: list[bytes]) -> None:
    body = (await client.get("/ledgers/sample/proof/inclusion", params={"index": 36})).json()
    assert body["tree_size"] == 37
    verify_inclusion(leaf_hash(leaves[36]), 36, 37, [unb64(n) for n in body["path"]], root_of_leaves(leaves))


async def test_every_consistency_proof_verifies(client: httpx.AsyncClient, leaves: list[bytes]) -> None:
    roots = {size: root_of_leaves(leaves[:size]) for size in range(1, 38)}
    for second in (1, 5, 8, 13, 32, 37):
        for first in range(1, second + 1):
            response = await client.get(
                "/ledgers/sample/proof/consistency", params={"first": first, "second": second}
            )
            assert response.status_code == 200
            path = [unb64(n) for n in response.json()["path"]]
            verify_consistency(first, second, roots[first], roots[second], path)


@pytest.mark.parametrize(
    ("path", "params", "status", "fragment"),
    [
        ("/proof/inclusion", {"index": 37}, 400, "index must be from 0 to 36"),
        ("/proof/inclusion", {"index": -1}, 400, "index must be from 0 to 36"),
        ("/proof/inclusion", {"index": 0, "tree_size": 0}, 400, "at least 1"),
        ("/proof/inclusion", {"index": 0, "tree_size": 38}, 400, "larger than the ledger"),
        ("/proof/inclusion", {"index": 5, "tree_size": 5}, 400, "from 0 to 4"),
        ("/proof/inclusion", {}, 422, "index"),
        ("/proof/consistency", {"first": 10, "second": 5}, 400, "first must be from 1 to second"),
        ("/proof/consistency", {"first": 0, "second": 5}, 400, "first must be from 1"),
        ("/proof/consistency", {"first": 1, "second": 0}, 400, "at least 1"),
        ("/proof/consistency", {"first": 1, "second": 99}, 400, "larger than the ledger"),
        ("/proof/consistency", {"first": "x"}, 422, "valid integer"),
    ],
)
@pytest.mark.usefixtures("leaves")
async def test_bad_proof_requests_are_clear_4xx(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    response = await client.get("/ledgers/sample" + path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert fragment in response.json().get("detail", "") + str(response.json().get("errors", ""))


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/checkpoint",
        "/key",
        "/keys",
        "/entries",
        "/proof/inclusion?index=0",
        "/proof/consistency?first=1",
    ],
)
async def test_unknown_ledgers_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get("/ledgers/no-such-ledger" + path)
    assert response.status_code == 404
    assert response.json()["type"] == "urn:govhub:problem:ledger-not-found"


async def test_an_empty_ledger_has_the_empty_root_and_no_proofs(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_ledger(session, settings, "empty", [])
    await session.commit()
    head = (await client.get("/ledgers/empty")).json()
    assert head["size"] == 0
    assert unb64(head["root_hash"]) == root_of_leaves([])
    assert (await client.get("/ledgers/empty/checkpoint")).status_code == 200
    assert (await client.get("/ledgers/empty/entries")).status_code == 400
    assert (await client.get("/ledgers/empty/proof/inclusion", params={"index": 0})).status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.usefixtures("leaves")
async def test_the_ledger_api_is_read_only_over_http(client: httpx.AsyncClient, method: str) -> None:
    for path in ("/ledgers", "/ledgers/sample", "/ledgers/sample/entries", "/ledgers/sample/checkpoint"):
        response = await client.request(method, path, json={"leaf": "eA=="})
        assert response.status_code == 405, path


@pytest.mark.usefixtures("leaves")
async def test_pages_list_ledgers_and_show_one(client: httpx.AsyncClient) -> None:
    browser = {"accept": "text/html"}
    listing = await client.get("/ledgers", headers=browser)
    assert listing.status_code == 200
    assert 'href="/ledgers/sample"' in listing.text
    page = await client.get("/ledgers/sample", headers=browser)
    assert page.status_code == 200
    assert "Signed checkpoint" in page.text
    assert "127.0.0.1:8000/ledgers/sample" in page.text
    assert '<code class="govhub-code-inline">' in page.text
    assert "&lt;code" not in page.text
    missing = await client.get("/ledgers/nothing", headers=browser)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")


async def test_entries_come_in_bounded_pages(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_ledger(session, settings, "long", sample_leaves(1205))
    await session.commit()
    first = (await client.get("/ledgers/long/entries")).json()
    assert len(first["entries"]) == 1000
    assert first["next_start"] == 1000
    rest = (await client.get("/ledgers/long/entries", params={"start": first["next_start"]})).json()
    assert [entry["index"] for entry in rest["entries"]] == list(range(1000, 1205))
    assert rest["next_start"] is None
    window = (await client.get("/ledgers/long/entries", params={"start": 10, "end": 1500})).json()
    assert (window["entries"][-1]["index"], window["next_start"]) == (1009, 1010)
