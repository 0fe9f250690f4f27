"""A record as it stood before, and the proof of its entry against the register ledger's checkpoint."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx

from govhub.ledger.note import NoteVerifier, open_checkpoint
from govhub.ledger.verify import leaf_hash, verify_inclusion

OWNER = {"Information-Mediator-Client": "govhub/GOV/platform/admin"}


async def _rename(client: httpx.AsyncClient, name: str) -> None:
    response = await client.put(
        "/data/country/1/update",
        json={"query": {"content": {"code": "EE"}}, "write": {"content": {"name": name}}},
        headers=OWNER,
    )
    assert response.status_code == 200


async def test_read_as_of_an_entry(client: httpx.AsyncClient) -> None:
    await _rename(client, "Eesti")
    await _rename(client, "Estonia (Eesti)")
    query = {"query": {"content": {"code": "EE"}}}
    now = (await client.post("/data/country/1/read", json=query)).json()
    assert now["content"]["name"] == "Estonia (Eesti)"
    first = (await client.post("/data/country/1/read", params={"asOfEntry": 24}, json=query)).json()
    assert (first["content"]["name"], first["entry"]) == ("Estonia", 6)
    middle = (await client.post("/data/country/1/read", params={"asOfEntry": 25}, json=query)).json()
    assert (middle["content"]["name"], middle["entry"]) == ("Eesti", 25)


async def test_read_as_of_a_date(client: httpx.AsyncClient) -> None:
    query = {"query": {"content": {"code": "EE"}}}
    before = datetime.now(UTC).isoformat()
    await _rename(client, "Eesti")
    then = (await client.post("/data/country/1/read", params={"asOfDate": before}, json=query)).json()
    assert then["content"]["name"] == "Estonia"
    long_ago = await client.post(
        "/data/country/1/read", params={"asOfDate": "2000-01-01T00:00:00Z"}, json=query
    )
    assert long_ago.status_code == 404


async def test_as_of_reads_need_the_key(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/data/country/1/read", params={"asOfEntry": 3}, json={"query": {"content": {"name": "Estonia"}}}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/query/content/code"


async def test_a_read_with_proof_verifies_against_the_signed_checkpoint(client: httpx.AsyncClient) -> None:
    await _rename(client, "Eesti")
    body = (
        await client.post(
            "/data/country/1/read", params={"proof": "true"}, json={"query": {"content": {"code": "EE"}}}
        )
    ).json()
    proof = body["proof"]
    leaf = base64.b64decode(proof["leaf"])
    assert json.loads(leaf)["key"] == "EE"
    assert json.loads(leaf)["kind"] == "update"
    key = (await client.get(f"/ledgers/{proof['ledger']}/key")).text.strip()
    checkpoint, _ = open_checkpoint(proof["checkpoint"], [NoteVerifier.from_verifier_key(key)])
    assert checkpoint.size == proof["treeSize"]
    path = [base64.b64decode(node) for node in proof["path"]]
    verify_inclusion(leaf_hash(leaf), proof["leafIndex"], checkpoint.size, path, checkpoint.root_hash)


async def test_bad_as_of_values_are_400(client: httpx.AsyncClient) -> None:
    """400 on the GovStack paths, as GovStack's clients expect for a malformed parameter."""
    query = {"query": {"content": {"code": "EE"}}}
    assert (await client.post("/data/country/1/read", params={"asOfEntry": 0}, json=query)).status_code == 400
    assert (
        await client.post("/data/country/1/read", params={"asOfDate": "soon"}, json=query)
    ).status_code == 400
