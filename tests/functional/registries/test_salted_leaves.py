"""The public ledger of a personal register is no oracle for its records (issue 14 §10): each entry's leaf
commits to a salted document, so hashing candidate contents (a 9-digit identifier has only 10⁹) finds
nothing; whoever may read the record gets the salt with its proof, and checks it against the checkpoint."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx

from govhub.ledger.note import NoteVerifier, open_checkpoint
from govhub.ledger.verify import leaf_hash, verify_inclusion
from govhub.registries import demo
from govhub.registries.records import canonical_json, content_hash

GRANTED = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
BIRTH_OWNER = {"Information-Mediator-Client": f"{demo.BIRTHS.owner}/registrar"}


async def public_leaves(client: httpx.AsyncClient, ledger: str) -> list[bytes]:
    """Every leaf of `ledger`, as anyone reads them from the public ledger API."""
    leaves: list[bytes] = []
    start: int | None = 0
    while start is not None:
        page = (await client.get(f"/ledgers/{ledger}/entries", params={"start": start})).json()
        leaves += [base64.b64decode(entry["leaf"]) for entry in page["entries"]]
        start = page["next_start"]
    return leaves


def unsalted_leaf(record: dict[str, Any], entry: int, timestamp: str) -> bytes:
    """The leaf an attacker would compute for a guessed record, as unsalted leaves were made."""
    return canonical_json(
        {
            "register": "birth",
            "version": "1",
            "entry": entry,
            "kind": "create",
            "key": record["registration"],
            "content_hash": content_hash(record),
            "timestamp": timestamp,
        }
    )


async def test_hashing_candidate_contents_does_not_find_a_personal_records_leaf(
    client: httpx.AsyncClient,
) -> None:
    leaves = await public_leaves(client, "register-birth")
    births = demo.synthetic_births()
    assert len(leaves) == len(births)
    # The attacker even guesses every field right but the identifier: no leaf names a key, a content
    # hash or an identifier, and every leaf is a bare commitment.
    for record in births[:20]:
        for leaf in leaves:
            assert record["registration"].encode() not in leaf
            assert record["person_id"].encode() not in leaf
            assert content_hash(record).encode() not in leaf
    assert {tuple(sorted(json.loads(leaf))) for leaf in leaves} == {("commitment", "v")}
    assert len(set(leaves)) == len(leaves)
    # With the exact content, entry number and time from the reader's own proof, still no leaf matches
    # without the salt.
    record = births[0]
    proof = (await read_with_proof(client, record["registration"], BIRTH_OWNER))["proof"]
    timestamp = json.loads(base64.b64decode(proof["document"]))["timestamp"]
    for candidate in (record, {**record, "person_id": "GH000000000"}):
        guess = unsalted_leaf(candidate, proof["entry"], timestamp)
        assert guess not in leaves
        assert hashlib.sha256(guess).hexdigest() not in b"".join(leaves).decode()


async def read_with_proof(client: httpx.AsyncClient, registration: str, headers: dict[str, str]) -> Any:
    response = await client.post(
        "/data/birth/1/read",
        params={"proof": "true"},
        json={"query": {"content": {"registration": registration}}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_reader_gets_the_salt_and_verifies_the_record_against_the_checkpoint(
    client: httpx.AsyncClient,
) -> None:
    body = await read_with_proof(client, "B000007", BIRTH_OWNER)
    content, proof = body["content"], body["proof"]
    document = base64.b64decode(proof["document"])
    committed = json.loads(document)
    # The document is the record's: its content hash, key and salt.
    assert committed["content_hash"] == content_hash(content)
    assert committed["key"] == "B000007"
    assert committed["salt"] == proof["salt"]
    assert len(bytes.fromhex(proof["salt"])) == 16
    assert canonical_json(committed) == document
    # The leaf commits to it, and is in the ledger the signed checkpoint covers.
    leaf = base64.b64decode(proof["leaf"])
    assert json.loads(leaf) == {"commitment": hashlib.sha256(document).hexdigest(), "v": 2}
    key = (await client.get(f"/ledgers/{proof['ledger']}/key")).text.strip()
    checkpoint, _ = open_checkpoint(proof["checkpoint"], [NoteVerifier.from_verifier_key(key)])
    path = [base64.b64decode(node) for node in proof["path"]]
    verify_inclusion(leaf_hash(leaf), proof["leafIndex"], checkpoint.size, path, checkpoint.root_hash)


async def test_a_changed_personal_record_gets_a_fresh_salt(client: httpx.AsyncClient) -> None:
    first = (await read_with_proof(client, "B000009", BIRTH_OWNER))["proof"]
    changed = await client.put(
        "/data/birth/1/update",
        json={
            "query": {"content": {"registration": "B000009"}},
            "write": {"content": {"place_of_birth": "Ambridge"}},
        },
        headers=BIRTH_OWNER,
    )
    assert changed.status_code == 200, changed.text
    second = (await read_with_proof(client, "B000009", BIRTH_OWNER))["proof"]
    assert second["entry"] > first["entry"]
    assert second["salt"] != first["salt"]


async def test_open_registers_keep_their_readable_leaves(client: httpx.AsyncClient) -> None:
    body = (
        await client.post(
            "/data/country/1/read", params={"proof": "true"}, json={"query": {"content": {"code": "NO"}}}
        )
    ).json()
    leaf = json.loads(base64.b64decode(body["proof"]["leaf"]))
    assert leaf["key"] == "NO"
    assert leaf["content_hash"] == content_hash(body["content"])
    assert "salt" not in body["proof"]


async def test_a_reader_without_a_grant_gets_no_salt(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/data/birth/1/read",
        params={"proof": "true"},
        json={"query": {"content": {"registration": "B000007"}}},
        headers=GRANTED,  # the GovStack scenario's client: granted its own register, not births
    )
    assert response.status_code == 403
    assert "salt" not in response.text
