"""Thin page routes for the home page and the API documentation page."""

from __future__ import annotations

from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from govhub.dependencies import AppSettings, PageRenderer
from govhub.kit.access import PUBLIC
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, pages: PageRenderer) -> HTMLResponse:
    return pages.render(request, "home/index.html")


@router.get("/brand.css")
async def brand_stylesheet(settings: AppSettings) -> Response:
    """The brand colour from settings, as the custom property GOV.UK Frontend's components read."""
    css = f":root {{ --govuk-brand-colour: {settings.brand_colour}; }}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


_API_DOCUMENTATION = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/assets/dist/swagger-ui/swagger-ui.css">
<link rel="icon" href="/assets/images/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="/assets/dist/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/assets/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
async def api_documentation(settings: AppSettings) -> HTMLResponse:
    """Swagger UI served from our own assets: nothing is fetched from a CDN, and it is started from a file
    of ours (`static/api-docs.js`), not an inline script, so the page keeps the Content Security Policy."""
    return HTMLResponse(_API_DOCUMENTATION.format(title=escape(f"{settings.brand_name} API")))
