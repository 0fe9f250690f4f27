"""The demo service's app factory: `create_app(settings)`; `govhub demo-service` serves it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from govhub.demo_service import routes
from govhub.demo_service.exchange import GatewayClient
from govhub.demo_service.keys import load_key
from govhub.demo_service.oidc import GovhubProvider
from govhub.demo_service.sessions import SessionStore
from govhub.demo_service.settings import DemoServiceSettings

_HERE = Path(__file__).resolve().parent
#: govhub's compiled GOV.UK Frontend assets, served by this app too: a council's service would build its
#: own, but one copy is enough for a demo.
ASSETS = _HERE.parent / "static"


def _long_date(value: object) -> str:
    """An ISO date as GOV.UK writes dates (`10 December 1985`); anything else as it is."""
    try:
        parsed = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{parsed.day} {parsed:%B %Y}"


class Pages:
    def __init__(self, settings: DemoServiceSettings) -> None:
        self.environment = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(_HERE / "templates"),
                    jinja2.PrefixLoader(
                        {"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja", "templates")}
                    ),
                ]
            ),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["long_date"] = _long_date
        self.environment.globals.update(
            council_name=settings.council_name,
            service_name=settings.service_name,
            brand_colour=settings.brand_colour,
            issuer_url=settings.issuer_url,
        )

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        html = self.environment.get_template(template).render({"request": request, **(context or {})})
        return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def create_app(
    settings: DemoServiceSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`transport` reaches govhub and its gateway (tests pass an in-process one); by default, the network."""
    settings = settings or DemoServiceSettings()
    app = FastAPI(title=settings.service_name, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.key = load_key(settings)
    app.state.provider = GovhubProvider(settings, app.state.key, transport)
    app.state.gateway = GatewayClient(settings, transport)
    app.state.sessions = SessionStore()
    app.state.pages = Pages(settings)
    app.include_router(routes.router)
    app.mount("/assets", StaticFiles(directory=ASSETS, check_dir=False), name="assets")

    async def error_page(request: Request, exc: Exception) -> HTMLResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        detail = (
            exc.detail if isinstance(exc, HTTPException) else "Some of what was sent is missing or wrong."
        )
        titles = {404: "Page not found", 405: "Page not found", 403: "Your form has expired"}
        return app.state.pages.render(  # type: ignore[no-any-return]
            request,
            "error.html",
            {"title": titles.get(status, "Sorry, there is a problem"), "detail": detail},
            status_code=status,
        )

    app.add_exception_handler(HTTPException, error_page)
    app.add_exception_handler(RequestValidationError, error_page)
    return app
