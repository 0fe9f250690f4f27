"""Pages: one Jinja environment over the shared layout, each block's `templates/` and the GOV.UK Frontend
macros from `govuk-frontend-jinja`, with the platform's brand from settings.

Which blocks have templates, and what the layout says about them, the app factory passes in: kit imports no
block."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from govhub.config import Environment, Settings
from govhub.kit import csrf


def _block_template_loaders(block_templates: Mapping[str, Path]) -> dict[str, jinja2.BaseLoader]:
    loaders: dict[str, jinja2.BaseLoader] = {
        "govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja", "templates"),
    }
    for prefix, directory in sorted(block_templates.items()):
        loaders[prefix] = jinja2.FileSystemLoader(directory)
    return loaders


class Pages:
    """Renders templates named `<block>/<file>.html`, or shared ones such as `layout.html`.

    `shared_templates` holds the layout and error page; `block_templates` maps each block's prefix to its
    `templates/` directory; `page_globals` are what every template may read besides the brand (the
    layout's navigation reads `building_blocks`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        shared_templates: Path,
        block_templates: Mapping[str, Path],
        page_globals: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.environment = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(shared_templates),
                    jinja2.PrefixLoader(_block_template_loaders(block_templates)),
                ]
            ),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            # Re-reading a changed template is for people editing them; elsewhere it is a stat() of every
            # template and macro file on every page (4 % of a login's time on the event loop, py-spy).
            auto_reload=settings.environment is Environment.DEVELOPMENT,
        )
        self.environment.globals.update(
            brand_name=settings.brand_name,
            brand_colour=settings.brand_colour,
            brand_logo_url=settings.brand_logo_url,
            public_url=settings.public_url,
            csrf_field=csrf.field_renderer(settings),
        )
        self.environment.globals.update(page_globals or {})

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        html = self.environment.get_template(template).render(
            {"request": request, "current_path": request.url.path, **(context or {})}
        )
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        # A form on the page was signed for a CSRF cookie this browser may not have yet.
        csrf.set_pending_cookie(request, response, self.settings)
        return response

    def error_page(
        self,
        request: Request,
        *,
        status: int,
        title: str,
        detail: str,
        request_id: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail, "request_id": request_id},
            status_code=status,
            headers=headers,
        )
