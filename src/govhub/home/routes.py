"""Thin page routes for the home page and the API documentation page."""

from __future__ import annotations

from fastapi import Request
from fastapi.openapi.docs import get_swagger_ui_html
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


@router.get("/docs", response_class=HTMLResponse)
async def api_documentation(settings: AppSettings) -> HTMLResponse:
    """Swagger UI served from our own assets: nothing is fetched from a CDN."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{settings.brand_name} API",
        swagger_js_url="/assets/dist/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/assets/dist/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/assets/images/favicon.svg",
    )
