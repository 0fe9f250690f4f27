"""The public service catalogue's page (`/catalogue`): every listed service, from the same entries as the
feeds (`catalogue.py`)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.kit.access import PUBLIC
from govhub.kit.forms import render_page
from govhub.kit.routing import api_router
from govhub.members.directory.catalogue import catalogue

router = api_router()


@router.get("/catalogue", include_in_schema=False, dependencies=[PUBLIC])
async def catalogue_page(
    request: Request, db: DbSession, settings: AppSettings, pages: PageRenderer
) -> Response:
    entries = await catalogue(db, settings.public_url)
    return render_page(
        pages,
        request,
        "members/catalogue.html",
        {"page_title": "Service catalogue", "entries": entries, "wide": True},
    )
