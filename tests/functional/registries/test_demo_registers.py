"""The demo registers `make run` loads: five open registers of public facts, a synthetic personal one, and
GovStack's conformance scenario register."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.registries import demo


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/data/country/1", 24),
        ("/data/iso-country/1", 249),
        ("/data/currency/1", 178),
        ("/data/language/1", 184),
        ("/data/local-authority/1", 217),
    ],
)
async def test_open_registers_of_public_facts(client: httpx.AsyncClient, path: str, count: int) -> None:
    assert (await client.get(path)).json()["total"] == count


async def test_iso_codes_are_right(client: httpx.AsyncClient) -> None:
    euro = await client.post("/data/currency/1/read", json={"query": {"content": {"code": "EUR"}}})
    assert euro.json()["content"] == {"code": "EUR", "name": "Euro", "numeric": "978"}
    estonia = await client.post("/data/iso-country/1/read", json={"query": {"content": {"code": "EE"}}})
    assert estonia.json()["content"]["alpha_3"] == "EST"
    assert estonia.json()["content"]["numeric"] == "233"
    welsh = await client.post("/data/language/1/read", json={"query": {"content": {"code": "cy"}}})
    assert welsh.json()["content"]["name"] == "Welsh"


async def test_local_authorities_are_right(client: httpx.AsyncClient) -> None:
    birmingham = await client.post(
        "/data/local-authority/1/read", json={"query": {"content": {"code": "GB-BIR"}}}
    )
    assert birmingham.json()["content"] == {
        "code": "GB-BIR",
        "name": "Birmingham",
        "type": "Metropolitan district",
        "nation": "England",
    }
    cardiff = await client.post(
        "/data/local-authority/1/read", json={"query": {"content": {"code": "GB-CRF"}}}
    )
    # iso-codes gives a Welsh authority's Welsh name and code in brackets after its English name.
    assert cardiff.json()["content"]["name"] == "Cardiff [Caerdydd GB-CRD]"
    assert cardiff.json()["content"]["type"] == "Unitary authority"
    assert cardiff.json()["content"]["nation"] == "Wales"


@pytest.mark.parametrize(
    ("nation", "type_", "count"),
    [
        ("England", None, 152),
        ("Scotland", "Council area", 32),
        ("Wales", "Unitary authority", 22),
        ("Northern Ireland", "District", 11),
    ],
)
async def test_local_authorities_per_nation(
    client: httpx.AsyncClient, nation: str, type_: str | None, count: int
) -> None:
    listed = await client.get("/data/local-authority/1", params={"query.nation": nation})
    assert listed.json()["total"] == count
    if type_ is not None:
        of_type = await client.get(
            "/data/local-authority/1", params={"query.nation": nation, "query.type": type_}
        )
        assert of_type.json()["total"] == count


async def test_the_synthetic_births_register_is_personal(client: httpx.AsyncClient) -> None:
    assert (await client.get("/data/birth/1")).status_code == 401
    owner = {"Information-Mediator-Client": "govhub/GOV/civil-registration/registrar"}
    births = (await client.get("/data/birth/1", headers=owner)).json()
    assert births["total"] == 200
    assert births["results"][0]["registration"] == "B000001"


async def test_loading_twice_adds_nothing(session: AsyncSession, settings: Settings) -> None:
    report = await demo.load(session, settings)
    assert "0 records added" in report
    assert "records added, 0 already" not in report
