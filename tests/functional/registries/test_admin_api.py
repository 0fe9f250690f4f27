"""The owner of a register manages who may use it."""

from __future__ import annotations

import httpx
import pytest

OWNER = {"Information-Mediator-Client": "eGovStack/GOV/90000009/admin"}
NHS = "GB/GOV/NHS/appointments"
STRANGER = {"Information-Mediator-Client": NHS}
GRANTS = "/registers/registryname/grants"


async def test_grant_read_then_revoke(client: httpx.AsyncClient) -> None:
    assert (await client.get("/data/registryname/111", headers=STRANGER)).status_code == 403
    granted = await client.post(GRANTS, json={"client": NHS}, headers=OWNER)
    assert granted.status_code == 201
    assert NHS in [grant["client"] for grant in (await client.get(GRANTS, headers=OWNER)).json()]
    assert (await client.get("/data/registryname/111", headers=STRANGER)).status_code == 200

    revoked = await client.delete(f"{GRANTS}/{NHS}", headers=OWNER)
    assert revoked.status_code == 204
    assert (await client.get("/data/registryname/111", headers=STRANGER)).status_code == 403
    again = await client.delete(f"{GRANTS}/{NHS}", headers=OWNER)
    assert again.status_code == 404
    assert again.json()["type"] == "urn:govhub:problem:grant-not-found"


async def test_only_the_owner_manages_grants(client: httpx.AsyncClient) -> None:
    assert (await client.get(GRANTS)).status_code == 401
    # A stranger is not shown that the personal register exists, nor who owns it.
    for response in (
        await client.get(GRANTS, headers=STRANGER),
        await client.post(GRANTS, json={"client": NHS}, headers=STRANGER),
        await client.delete(f"{GRANTS}/{NHS}", headers=STRANGER),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "There is no register called 'registryname'."
    # A grantee sees the register, but only its owner manages who else may.
    assert (await client.post(GRANTS, json={"client": NHS}, headers=OWNER)).status_code == 201
    assert (await client.get(GRANTS, headers=STRANGER)).status_code == 403
    assert (await client.post(GRANTS, json={"client": "GB/GOV/x/y"}, headers=STRANGER)).status_code == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [({"client": "not a member"}, 401), ({}, 422), ({"client": 7}, 422)],
)
async def test_bad_grants_are_refused(client: httpx.AsyncClient, body: object, status: int) -> None:
    assert (await client.post(GRANTS, json=body, headers=OWNER)).status_code == status


async def test_unknown_register_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/registers/nothing/grants", headers=OWNER)).status_code == 404
