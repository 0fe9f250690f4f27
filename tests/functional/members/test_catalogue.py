"""The public service catalogue: the JSON and CSV feeds with the UK API catalogue's columns (awkward text
escaped), their sources (the OpenAPI document's licence, contact and area served, else the member's
contact and "United Kingdom"), disabled services left out, and the page."""

from __future__ import annotations

import csv
import io
import json

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.members.directory.catalogue import COLUMNS
from tests.functional.members.services_support import (
    PROVIDER,
    SERVICE,
    SERVICE_PATH,
    blue_badge,
    registration,
)
from tests.functional.members.support import admin_headers, approved_member
from tests.support.oidc import ClientKeys

AWKWARD = 'Checks eligibility, "quickly"\nand assessments, too'


async def _register(client: httpx.AsyncClient, session: AsyncSession, **overrides: object) -> dict[str, str]:
    await approved_member(session, ClientKeys())
    admin = await admin_headers(client, session)
    created = await client.post("/members/services", json=registration(**overrides), headers=admin)
    assert created.status_code == 201, created.text
    return admin


async def test_the_feeds_carry_the_uk_catalogue_columns_from_the_document_and_member(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await _register(client, session, description=AWKWARD)

    feed = await client.get("/catalogue.json")

    assert feed.status_code == 200
    assert feed.headers["content-type"] == "application/json; charset=utf-8"
    assert feed.headers["cache-control"] == "public, max-age=300"
    [entry] = feed.json()
    assert list(entry) == COLUMNS
    base = settings.public_url.rstrip("/")
    assert entry["url"] == f"{base}/r1/{SERVICE}"
    assert entry["documentation"] == f"{base}/r1/{PROVIDER}/getOpenAPI?serviceCode=eligibility"
    assert (entry["name"], entry["description"], entry["provider"]) == (
        "Blue Badge eligibility",
        AWKWARD,
        "Borsetshire County Council",
    )
    # The blue badge document names no licence, contact or area: nothing guessed, the member's contact.
    assert (entry["license"], entry["maintainer"], entry["areaServed"]) == (
        "",
        "alex.clerk@borsetshire.example",
        "United Kingdom",
    )
    assert entry["startDate"] == entry["dateAdded"] != ""
    assert entry["endDate"] == ""

    # The documentation link works without a client header.
    documentation = await client.get(entry["documentation"].removeprefix(base))
    # getOpenAPI's answer is a string (the spec's schema): the document as JSON text.
    assert json.loads(documentation.json())["info"]["title"] == "Blue Badge eligibility"

    as_csv = await client.get("/catalogue.csv")
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["cache-control"] == "public, max-age=300"
    assert '"Checks eligibility, ""quickly""\nand assessments, too"' in as_csv.text
    rows = list(csv.DictReader(io.StringIO(as_csv.text, newline="")))
    assert rows == [entry]
    assert as_csv.text.splitlines()[0] == ",".join(COLUMNS)


async def test_licence_contact_and_area_come_from_the_document_when_it_has_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    document = blue_badge()
    document["info"]["license"] = {"name": "OGL-UK-3.0", "url": "https://www.nationalarchives.gov.uk/ogl/"}
    document["info"]["contact"] = {"name": "Badges team", "email": "badges@borsetshire.example"}
    document["info"]["x-area-served"] = "Borsetshire"
    await _register(client, session, openapi=document)

    [entry] = (await client.get("/catalogue.json")).json()

    assert (entry["license"], entry["maintainer"], entry["areaServed"]) == (
        "https://www.nationalarchives.gov.uk/ogl/",
        "badges@borsetshire.example",
        "Borsetshire",
    )


async def test_a_disabled_service_leaves_the_catalogue(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await _register(client, session)
    assert len((await client.get("/catalogue.json")).json()) == 1

    await client.post(SERVICE_PATH + "/disable", headers=admin)

    assert (await client.get("/catalogue.json")).json() == []
    assert (await client.get("/catalogue.csv")).text == ",".join(COLUMNS) + "\r\n"
    page = await client.get("/catalogue")
    assert "No services are listed yet." in page.text


async def test_the_catalogue_page_lists_each_service_with_its_document(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await _register(client, session, description=AWKWARD)

    page = await client.get("/catalogue")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<h2 class="govuk-heading-m">Blue Badge eligibility</h2>' in page.text
    assert "Checks eligibility, &#34;quickly&#34;" in page.text
    documentation = f"{settings.public_url.rstrip('/')}/r1/{PROVIDER}/getOpenAPI?serviceCode=eligibility"
    assert f'href="{documentation}"' in page.text
    assert "Borsetshire County Council" in page.text
    assert 'href="/catalogue.csv"' in page.text
    home = await client.get("/members")
    assert 'href="/catalogue"' in home.text
