"""The registries' pages through the real app: registers, a register with search and paging, a record
with a proof that verifies; personal registers show no records and log no reads."""

from __future__ import annotations

import base64
import html
import re

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.note import NoteVerifier, open_checkpoint
from govhub.ledger.verify import leaf_hash, verify_inclusion
from govhub.registries.caller import Caller
from govhub.registries.models import PersonalDataUse
from govhub.registries.service import RegistriesService
from tests.support.registries import open_register

HTML = {"accept": "text/html"}
OWNER_OF_COUNTRIES = {"Information-Mediator-Client": "govhub/GOV/platform/admin"}
PROBLEM = "application/problem+json"


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def code_blocks(page: str) -> list[str]:
    return [
        html.unescape(block)
        for block in re.findall(r'<pre class="govhub-code"[^>]*><code>(.*?)</code></pre>', page, re.DOTALL)
    ]


def table_rows(page: str) -> int:
    first_table = page.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return first_table.count('<tr class="govuk-table__row">')


async def test_home_page_and_navigation_link_the_registers(client: httpx.AsyncClient) -> None:
    home = (await client.get("/", headers=HTML)).text
    assert 'href="/registers"' in home


async def test_registers_are_listed_with_their_facts(client: httpx.AsyncClient) -> None:
    response = await client.get("/registers", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert 'href="/registers/country">Countries</a>' in page
    assert 'href="/registers/registryname">GovStack conformance scenario register</a>' in page
    text = text_of(page)
    assert "Open" in text
    assert "Personal" in text
    assert "govhub/GOV/platform" in text
    # The owner of a personal register is not published (issue 14 §1: it named whom to impersonate).
    assert "eGovStack/GOV/90000009" not in text
    assert "Not published for a personal register" in text
    # How members identify, and which networks this deployment trusts with the bare header.
    assert "GOVHUB-DEV/GOV/platform/registries/digitalregistries" in text
    assert "trusted mediator's network" in text
    assert "127.0.0.0/8, ::1/128" in text
    assert "Entries 24" in text
    assert "Entries 23" in text
    assert "ISO 3166-1 alpha-2" in text
    assert "&lt;code" not in page


async def test_an_open_registers_page_shows_schema_and_a_page_of_records(client: httpx.AsyncClient) -> None:
    response = await client.get("/registers/country", headers=HTML)
    assert response.status_code == 200
    page = response.text
    text = text_of(page)
    assert "Showing 1 to 20 of 24 records." in text
    assert table_rows(page) == 20
    assert "code name official_name capital" in text
    assert 'href="/registers/country/records/AT">AT</a>' in page
    assert 'href="/registers/country/download.csv"' in page
    assert 'href="/ledgers/register-country"' in page
    assert "Version 1" in text
    assert "code Key string Yes" in text
    assert "official_name string No" in text
    assert 'class="govuk-pagination' in page
    assert 'href="/registers/country?page=2" rel="next"' in page

    second = (await client.get("/registers/country", params={"page": "2"}, headers=HTML)).text
    assert "Showing 21 to 24 of 24 records." in text_of(second)
    assert table_rows(second) == 4
    assert 'href="/registers/country" rel="prev"' in second


async def test_search_finds_records_and_keeps_the_search_when_paging(client: httpx.AsyncClient) -> None:
    page = (await client.get("/registers/country", params={"search": "Kingdom"}, headers=HTML)).text
    text = text_of(page)
    assert "Showing 1 to 7 of 7 records matching \u2018Kingdom\u2019." in text
    assert table_rows(page) == 7
    assert 'value="Kingdom"' in page
    assert "Show all records" in text
    assert "govuk-pagination" not in page

    paged = (await client.get("/registers/country", params={"search": "republic"}, headers=HTML)).text
    assert "of 11 records" in text_of(paged)

    nothing = text_of(
        (await client.get("/registers/country", params={"search": "atlantis"}, headers=HTML)).text
    )
    assert "No records match \u2018atlantis\u2019." in nothing


async def test_search_text_is_escaped(client: httpx.AsyncClient) -> None:
    page = (
        await client.get("/registers/country", params={"search": "<script>x</script>"}, headers=HTML)
    ).text
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


async def test_a_personal_registers_page_shows_no_records_and_logs_no_reads(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.get("/registers/registryname", headers=HTML)
    assert response.status_code == 200
    page = response.text
    text = text_of(page)
    assert "only available to members granted access, through the registries API" in text
    assert "Search records" not in text
    assert "download.csv" not in page
    assert "Version 111" in text
    # The uuid is the key, but not required: the registry assigns one to a record created without.
    assert "uuid Key string No" in text
    for person in ("Lovelace", "EE378627348834"):
        assert person not in page
    assert await session.scalar(select(func.count()).select_from(PersonalDataUse)) == 0


async def test_a_records_page_shows_content_history_and_a_proof_that_verifies(
    client: httpx.AsyncClient,
) -> None:
    await client.put(
        "/data/country/1/update",
        json={"write": {"content": {"code": "GB", "capital": "Londinium"}}},
        headers=OWNER_OF_COUNTRIES,
    )
    response = await client.get("/registers/country/records/GB", headers=HTML)
    assert response.status_code == 200
    page = response.text
    text = text_of(page)
    assert "capital Londinium" in text
    assert "25 Update" in text
    assert "10 Create" in text
    assert text.index("25 Update") < text.index("10 Create")
    assert "Entry 25 is leaf 24 of ledger register-country" in text

    leaf_text, path_text, checkpoint_text, command = code_blocks(page)
    assert command == "govhub ledger verify register-country --url http://127.0.0.1:8000"
    leaf_b64 = re.search(r"Leaf, base64.*?<code[^>]*>([^<]+)</code>", page, re.DOTALL)
    assert leaf_b64 is not None
    leaf = base64.b64decode(leaf_b64.group(1))
    assert leaf.decode() == leaf_text
    assert '"kind":"update"' in leaf_text

    key = (await client.get("/ledgers/register-country/key")).text.strip()
    checkpoint, _ = open_checkpoint(checkpoint_text, [NoteVerifier.from_verifier_key(key)])
    path = [base64.b64decode(line) for line in path_text.splitlines()]
    verify_inclusion(leaf_hash(leaf), 24, checkpoint.size, path, checkpoint.root_hash)


async def test_a_deleted_records_page_shows_its_history(client: httpx.AsyncClient) -> None:
    await client.delete("/data/country/1/NZ/delete", headers=OWNER_OF_COUNTRIES)
    response = await client.get("/registers/country/records/NZ", headers=HTML)
    assert response.status_code == 200
    text = text_of(response.text)
    assert "This record was deleted in entry 25" in text
    assert "25 Delete" in text


async def test_record_keys_with_slashes_and_spaces_link_to_their_page(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    registries = RegistriesService.for_session(session, settings)
    await registries.define(open_register("paths", {"path": {"type": "string"}}, "path"))
    opened = await registries.open("paths", "1", Caller("govhub/GOV/platform/loader"), write=True)
    await registries.create(opened, {"path": "a/b c"})
    await session.commit()
    page = (await client.get("/registers/paths", headers=HTML)).text
    assert 'href="/registers/paths/records/a%2Fb%20c"' in page
    record = await client.get("/registers/paths/records/a%2Fb%20c", headers=HTML)
    assert record.status_code == 200
    assert "<h1" in record.text
    assert ">a/b c</h1>" in record.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/registers/nonesuch", 404),
        ("/registers/nonesuch/records/GB", 404),
        ("/registers/country/records/XX", 404),
        ("/registers/registryname/records/1", 404),
        ("/registers/%00", 404),
        ("/registers/country/records/%00", 404),
        ("/registers/country/records/G%00B", 404),
    ],
)
async def test_unknown_registers_and_records_are_404(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    as_page = await client.get(path, headers=HTML)
    assert as_page.status_code == status
    assert as_page.headers["content-type"].startswith("text/html")
    as_problem = await client.get(path)
    assert as_problem.status_code == status
    assert as_problem.headers["content-type"] == PROBLEM


async def test_a_personal_registers_records_are_404_even_for_a_granted_caller(
    client: httpx.AsyncClient,
) -> None:
    granted = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
    known = (await client.get("/data/registryname/111", params={"pageSize": 1}, headers=granted)).json()
    key = known["results"][0]["uuid"]
    response = await client.get(f"/registers/registryname/records/{key}", headers=granted)
    assert response.status_code == 404
    assert response.json()["detail"] == "Register 'registryname' publishes no records."


@pytest.mark.parametrize(
    "page", ["0", "-1", "abc", "1.5", "99999999999999999999999", "\u0661", "²", " 1", "9" * 5000]
)
async def test_bad_page_numbers_are_400(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get("/registers/country", params={"page": page}, headers=HTML)
    assert response.status_code == 400
    assert "The page number must be a whole number from 1 to 1,000,000" in text_of(response.text)


async def test_a_page_past_the_last_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/registers/country", params={"page": "3"})
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no page 3 of the records: the last is page 2."
    searched = await client.get("/registers/country", params={"page": "2", "search": "kingdom"})
    assert searched.status_code == 404
    assert searched.json()["detail"] == "There is no page 2 of these records: the last is page 1."


async def test_too_long_a_search_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/registers/country", params={"search": "x" * 201})
    assert response.status_code == 400
    assert response.json()["detail"] == "Search for at most 200 characters."


@pytest.mark.parametrize("search", ["\x00", "a\x00b", "\x1b[31m"])
async def test_a_search_with_control_characters_is_400(client: httpx.AsyncClient, search: str) -> None:
    response = await client.get("/registers/country", params={"search": search})
    assert response.status_code == 400
    assert response.json()["detail"] == "Search for letters, digits, spaces and punctuation only."
