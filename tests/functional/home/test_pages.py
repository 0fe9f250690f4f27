from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from govhub.app import create_app
from govhub.blocks import BUILDING_BLOCKS
from tests.conftest import make_settings

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_home_page_introduces_the_platform_and_lists_every_block(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<h1" in html
    assert "government as a platform" in html
    for block in BUILDING_BLOCKS:
        assert block.name in html


async def test_the_home_page_marks_planned_blocks_and_links_the_built_ones(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers=BROWSER)).text
    assert "Coming" not in html
    planned_tags = re.findall(r'class="govuk-tag govuk-tag--grey">\s*Planned\s*<', html)
    assert len(planned_tags) == sum(block.planned for block in BUILDING_BLOCKS)
    for block in BUILDING_BLOCKS:
        if block.home_path is not None:
            assert f'href="{block.home_path}"' in html
        for link in block.pages:
            assert f'href="{link.path}"' in html
    exchange = next(block for block in BUILDING_BLOCKS if block.slug == "exchange")
    assert not exchange.planned
    assert {link.path for link in exchange.pages} >= {"/account/data-use"}


async def test_pages_are_white_labelled(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers=BROWSER)).text
    assert "govuk-logo" not in html
    assert "crown" not in html.lower()
    assert "govuk-header__logotype" not in html
    assert "<title>govhub</title>" in html
    assert "Crown copyright" not in html
    assert "Open Government Licence" not in html
    stylesheet = (await client.get("/assets/dist/govhub.css")).text
    assert "GDS Transport" not in stylesheet
    assert "govuk-generic-header" in stylesheet


async def test_the_brand_comes_from_settings(database_url: str) -> None:
    settings = make_settings(
        database_url,
        brand_name="Borsetshire Online",
        brand_colour="#00703C",
        brand_logo_url="/assets/images/govhub-mark.svg",
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        html = (await client.get("/", headers=BROWSER)).text
        brand_css = (await client.get("/brand.css")).text
    await app.state.database.dispose()
    assert "<title>Borsetshire Online</title>" in html
    assert '<meta name="theme-color" content="#00703c">' in html
    assert "--govuk-brand-colour: #00703c;" in brand_css


async def test_browsers_get_an_html_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not Found" in response.text
    assert response.headers["x-request-id"] in response.text


async def test_browsers_get_an_html_500_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/test-only/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    response = await client.get("/test-only/crash", headers=BROWSER)
    assert response.status_code == 500
    assert "Internal Server Error" in response.text
    assert "boom" not in response.text
    assert response.headers["x-request-id"] in response.text


async def test_the_api_documentation_page_uses_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "/assets/dist/swagger-ui/swagger-ui-bundle.js" in response.text
    assert "cdn" not in response.text.lower()
    bundle = await client.get("/assets/dist/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200


async def test_openapi_document_is_3_1(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert {"/healthz", "/readyz", "/metrics"} <= set(document["paths"])


@pytest.mark.parametrize(
    "asset",
    [
        "/assets/dist/govhub.css",
        "/assets/dist/govuk-frontend.min.js",
        "/assets/dist/govhub.js",
        "/assets/images/favicon.svg",
    ],
)
async def test_layout_assets_are_served(client: httpx.AsyncClient, asset: str) -> None:
    response = await client.get(asset)
    assert response.status_code == 200
    assert len(response.content) > 100


async def test_a_missing_asset_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/dist/nothing-here.css")
    assert response.status_code == 404
