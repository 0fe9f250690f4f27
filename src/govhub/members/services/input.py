"""Checking what is given for a service before anything is written: the base URL (its form, then its
addresses through the platform's outbound-address guard), the OpenAPI document (an object, or JSON or YAML
text), the providing subsystem's identifier, the title and description."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from govhub.kit.errors import FieldError
from govhub.kit.outbound import AddressRefused, OutboundGuard, Unresolvable
from govhub.members.errors import InvalidService
from govhub.members.services.openapi_documents import (
    OpenApiDocument,
    checked_document,
    load_document,
)
from govhub.members.xroad_ids import InvalidIdentifier, SubsystemId, parse_subsystem_id

MAX_BASE_URL = 500


def invalid(name: str, detail: str) -> InvalidService:
    return InvalidService(detail, field_errors=[FieldError("body", f"/{name}", detail)])


def valid_base_url(value: str) -> str:
    """An absolute http or https URL without credentials, query or fragment; its trailing `/` dropped."""
    url = value.strip()
    problem = None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        parts = None
    if parts is None or len(url) > MAX_BASE_URL or not url.isprintable() or " " in url:
        problem = f"The base URL is an http or https URL of at most {MAX_BASE_URL} characters."
    elif parts.scheme not in {"http", "https"} or not parts.hostname:
        problem = f"The base URL starts with http:// or https:// and names a host, not {url[:80]!r}."
    elif parts.username is not None or parts.password is not None:
        problem = "The base URL carries no user name or password."
    elif parts.query or parts.fragment or url.endswith(("?", "#")):
        problem = "The base URL has no query (?...) or fragment (#...): the endpoint's path is added to it."
    if problem:
        raise invalid("baseUrl", problem)
    return url.rstrip("/")


async def reachable_base_url(value: str, outbound: OutboundGuard) -> str:
    """`valid_base_url`, whose host resolves only to addresses the platform may call (`kit.outbound`): not
    loopback, private, link-local, metadata or otherwise non-public, unless an operator allowed the network.
    A host that cannot be resolved is refused too: nothing could be checked, and the gateway could not call
    it; the provider registers its DNS name first. The gateway checks again on every connection."""
    url = valid_base_url(value)
    try:
        await outbound.check_url(url)
    except Unresolvable as refused:
        raise invalid(
            "baseUrl", f"The base URL's host {refused.reason}: give a host that resolves."
        ) from None
    except AddressRefused as refused:
        raise invalid(
            "baseUrl",
            f"The base URL's host {refused.reason}: the platform calls services at public addresses only "
            "(an operator can allow a network).",
        ) from None
    return url


def document_of(openapi: Any) -> OpenApiDocument:
    """The OpenAPI document given as an object (already parsed JSON) or as JSON or YAML text."""
    if isinstance(openapi, dict):
        # Read as it would be stored, so that the same size and nesting limits hold as for text.
        try:
            text = json.dumps(openapi)
        except (RecursionError, ValueError):
            raise invalid("openapi", "The OpenAPI document is nested too deeply.") from None
        return checked_document(load_document(text))
    if isinstance(openapi, (str, bytes)):
        return checked_document(load_document(openapi))
    raise invalid("openapi", "The OpenAPI document is an object, or its JSON or YAML text.")


def subsystem_id_of(text: str, name: str) -> SubsystemId:
    try:
        return parse_subsystem_id(text)
    except InvalidIdentifier as error:
        raise InvalidService(str(error), field_errors=[FieldError("body", f"/{name}", str(error))]) from None


def text_of(text: str | None, fallback: str, name: str, limit: int) -> str:
    value = (
        " ".join((text if text is not None else fallback).split()) if name == "title" else (text or fallback)
    )
    if len(value) > limit or not all(c.isprintable() or c in "\r\n\t" for c in value):
        raise invalid(name, f"The {name} is text of at most {limit} characters.")
    return value.strip()
