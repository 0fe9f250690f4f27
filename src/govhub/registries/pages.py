"""The registries' pages: every register, one register with its schema and (when open) its records, and
one record with its history and what it takes to verify it against the register's ledger. Open to anyone;
records are read through `RegistriesService.open` as an anonymous caller, so only open registers show any."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from govhub.dependencies import AppSettings, PageRenderer
from govhub.kit.access import PUBLIC
from govhub.kit.errors import BadRequest, NotFound
from govhub.kit.routing import api_router
from govhub.registries.caller import Caller
from govhub.registries.callers import registries_service_id
from govhub.registries.dependencies import Registries
from govhub.registries.errors import NotGranted, RecordNotFound
from govhub.registries.models import RegisterVersion
from govhub.registries.open_data import cell_text, verify_command
from govhub.registries.proofs import RecordProofs
from govhub.registries.records import INDEXED, UNIQUE

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

PAGE_SIZE = 20
#: Far beyond any register's last page of `PAGE_SIZE`, and small enough that its offset stays cheap to refuse.
MAX_PAGE = 1_000_000
MAX_SEARCH = 200
ANONYMOUS = Caller(None, "public register page")
TAG_CLASSES = {"open": "govuk-tag--green", "personal": "govuk-tag--orange", "restricted": "govuk-tag--red"}


def _page_number(text: str | None) -> int:
    """The `page` query parameter, refused with a clear 400 rather than a validation error or a 500."""
    if text is None or text == "":
        return 1
    if (
        not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE)))
        or not 1 <= int(text) <= MAX_PAGE
    ):
        raise BadRequest(f"The page number must be a whole number from 1 to {MAX_PAGE:,}, not {text[:20]!r}.")
    return int(text)


def _search_text(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    if len(cleaned) > MAX_SEARCH:
        raise BadRequest(f"Search for at most {MAX_SEARCH} characters.")
    if not cleaned.isprintable():
        raise BadRequest("Search for letters, digits, spaces and punctuation only.")
    return cleaned or None


def fields_of(version: RegisterVersion) -> list[dict[str, Any]]:
    """A version's fields as a page lists them: name, type, whether required, whether the key, unique or
    indexed for search."""
    schema = version.record_schema
    required = set(schema.get("required", []))
    described = []
    for field, spec in schema.get("properties", {}).items():
        kind = spec.get("type", "any")
        kind = " or ".join(kind) if isinstance(kind, list) else str(kind)
        if "format" in spec:
            kind += f" ({spec['format']})"
        if "enum" in spec:
            kind += ", one of " + ", ".join(cell_text(value) for value in spec["enum"])
        described.append(
            {
                "name": field,
                "type": kind,
                "required": field in required,
                "key": field == version.key_field,
                "unique": spec.get(UNIQUE) is True,
                "indexed": spec.get(INDEXED) is True,
                "description": str(spec.get("description", "")),
            }
        )
    return described


def _page_link(path: str, search: str | None, page: int) -> str:
    query = {"search": search} if search else {}
    if page > 1:
        query["page"] = str(page)
    return path + ("?" + urlencode(query) if query else "")


def pagination(path: str, search: str | None, page: int, last: int) -> dict[str, Any] | None:
    """The GOV.UK pagination component's parameters: first, last, and the pages either side of this one,
    with ellipses between."""
    if last <= 1:
        return None
    numbers = sorted({1, last, *(n for n in (page - 1, page, page + 1) if 1 <= n <= last)})
    items: list[dict[str, Any]] = []
    for position, number in enumerate(numbers):
        if position and number - numbers[position - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": _page_link(path, search, number), "current": number == page})
    parameters: dict[str, Any] = {"items": items, "landmarkLabel": "Pages of records"}
    if page > 1:
        parameters["previous"] = {"href": _page_link(path, search, page - 1)}
    if page < last:
        parameters["next"] = {"href": _page_link(path, search, page + 1)}
    return parameters


def record_path(register: str, key: str) -> str:
    return f"/registers/{quote(register, safe='')}/records/{quote(key, safe='')}"


@router.get("/registers")
async def registers_page(
    request: Request, registries: Registries, pages: PageRenderer, settings: AppSettings
) -> HTMLResponse:
    return pages.render(
        request,
        "registries/index.html",
        {
            "page_title": "Registers",
            "registers": await registries.registers(),
            "tag_classes": TAG_CLASSES,
            "service_id": str(registries_service_id(settings)),
            "trusted_mediators": [str(network) for network in settings.registries_trusted_mediators],
        },
    )


@router.get("/registers/{name}")
async def register_page(
    *,
    name: str,
    request: Request,
    registries: Registries,
    pages: PageRenderer,
    page: str | None = None,
    search: str | None = None,
) -> HTMLResponse:
    number = _page_number(page)
    text = _search_text(search)
    register, versions = await registries.describe(name)
    newest = versions[-1] if versions else None
    context: dict[str, Any] = {
        "page_title": register.title,
        "register": register,
        "versions": [(version, fields_of(version)) for version in reversed(versions)],
        "tag_classes": TAG_CLASSES,
        "search": text or "",
        "records": None,
    }
    if register.classification == "open" and newest is not None:
        opened = await registries.open_public(name)
        found = await registries.search(
            opened,
            ANONYMOUS,
            text=text,
            text_field=None,
            equals={},
            ordering=None,
            page=number,
            page_size=PAGE_SIZE,
        )
        last = max(1, -(-found.count // PAGE_SIZE))
        if number > last:
            raise NotFound(
                f"There is no page {number} of {'these' if text else 'the'} records: the last is page {last}."
            )
        columns = [field["name"] for field in fields_of(newest)]
        context.update(
            records=[
                {
                    "href": record_path(name, cell_text(record.get(newest.key_field))),
                    "cells": [cell_text(record.get(column)) for column in columns],
                }
                for record in found.records
            ],
            columns=columns,
            key_column=columns.index(newest.key_field) if newest.key_field in columns else 0,
            count=found.count,
            first_shown=(number - 1) * PAGE_SIZE + 1,
            last_shown=(number - 1) * PAGE_SIZE + len(found.records),
            pagination=pagination(request.url.path, text, number, last),
        )
    return pages.render(request, "registries/register.html", context)


@router.get("/registers/{name}/records/{key:path}")
async def record_page(
    *,
    name: str,
    key: str,
    request: Request,
    registries: Registries,
    pages: PageRenderer,
    settings: AppSettings,
) -> HTMLResponse:
    try:
        opened = await registries.open_public(name)
    except NotGranted:
        # Say nothing about which keys a personal or restricted register holds.
        raise RecordNotFound(f"Register {name!r} publishes no records.") from None
    current, history = await registries.record_history(opened, ANONYMOUS, key)
    latest = history[-1]
    proof = await RecordProofs(registries, registries.ledgers).prove(opened, latest)
    return pages.render(
        request,
        "registries/record.html",
        {
            "page_title": f"{key} \N{EN DASH} {opened.register.title}",
            "register": opened.register,
            "key": key,
            "content": None if current is None else [(f, cell_text(v)) for f, v in current.content.items()],
            "history": list(reversed(history)),
            "latest": latest,
            "ledger": proof.ledger,
            "leaf_text": base64.b64decode(proof.leaf).decode("utf-8", errors="replace"),
            "leaf_base64": proof.leaf,
            "leaf_hash": proof.leaf_hash,
            "tree_size": proof.tree_size,
            "audit_path": proof.path,
            "checkpoint": proof.checkpoint,
            "verify_command": verify_command(proof.ledger, settings.public_url),
        },
    )
