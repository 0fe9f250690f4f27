"""One handler registry, one body: RFC 9457 problem details for APIs, HTML error pages for browsers.

Blocks whose API copies someone else's (Notify, Pay, GovStack, OAuth) register their own handlers for their
own error classes; everything else lands here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from govhub.kit.errors import FieldError, GovhubError
from govhub.kit.request_context import REQUEST_ID_HEADER, current_request_id
from govhub.kit.templating import Pages

PROBLEM_JSON = "application/problem+json"
#: How the GovStack documents spell a JSON answer (their conformance scenarios compare it exactly).
JSON_UTF8 = "application/json; charset=utf-8"
logger = logging.getLogger("govhub.errors")

#: Path prefixes of APIs that copy another standard whose clients expect errors as plain JSON and a 400 for
#: malformed parameters (GovStack's): registered by the block that serves them (`plain_json_errors_under`).
#: There the problem body is the same, sent as `application/json` unless the client asks for
#: `application/problem+json`, and a request whose parameters or body break their schema is 400, not 422.
_PLAIN_JSON_PREFIXES: list[str] = []


def plain_json_errors_under(*prefixes: str) -> None:
    """Answer errors under these path prefixes as GovStack's clients expect (see `_PLAIN_JSON_PREFIXES`)."""
    _PLAIN_JSON_PREFIXES.extend(prefix for prefix in prefixes if prefix not in _PLAIN_JSON_PREFIXES)


def plain_json_errors_at(path: str) -> bool:
    """Whether errors under `path` are answered as GovStack's clients expect."""
    return any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in _PLAIN_JSON_PREFIXES)


def speaks_plain_json_errors(request: Request) -> bool:
    return plain_json_errors_at(request.url.path)


def _problem_media_type(request: Request) -> str:
    if speaks_plain_json_errors(request) and PROBLEM_JSON not in request.headers.get("accept", ""):
        return JSON_UTF8
    return PROBLEM_JSON


def problem_type(slug: str) -> str:
    """Problem type URIs are URNs: stable identifiers that never dangle as dead links."""
    return f"urn:govhub:problem:{slug}"


def wants_html(request: Request) -> bool:
    """Browsers ask for text/html first; API clients ask for JSON or anything."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    field_errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    """A problem for API clients, with `extensions` as extra members (RFC 9457 §3.2); an error page
    for browsers."""
    if wants_html(request):
        pages: Pages = request.app.state.pages
        request_id = _request_id(request)
        return pages.error_page(
            request,
            status=status,
            title=title,
            detail=detail,
            request_id=request_id,
            headers={**(headers or {}), **({REQUEST_ID_HEADER: request_id} if request_id else {})},
        )
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if field_errors:
        body["errors"] = [error.as_problem_member() for error in field_errors]
    body.update(extensions or {})
    request_id = _request_id(request)
    all_headers = dict(headers or {})
    if request_id:
        body["request_id"] = request_id
        all_headers[REQUEST_ID_HEADER] = request_id
    return Response(
        json.dumps(body), status_code=status, media_type=_problem_media_type(request), headers=all_headers
    )


def _request_id(request: Request) -> str | None:
    # Unhandled errors are rendered outside the request-id middleware, after its context has ended;
    # the id it stored in the scope is still there.
    stored = request.scope.get("state", {}).get("request_id")
    return stored if isinstance(stored, str) else current_request_id()


async def _govhub_error(request: Request, exc: GovhubError) -> Response:
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        type_=problem_type(exc.slug),
        field_errors=exc.field_errors,
        # An error class may name headers its answer needs (a 401's WWW-Authenticate).
        headers=getattr(exc, "headers", None),
    )


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    errors: list[FieldError] = []
    for error in exc.errors():
        location, *path = [str(part) for part in error.get("loc", ("body",))]
        if location == "body":
            name = "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in path)
        else:
            name = path[0] if path else location
        errors.append(FieldError(location=location, name=name, detail=str(error.get("msg", "is invalid"))))
    return errors


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    malformed = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        context = malformed.get("ctx") or {}
        reason = context.get("error", "the body is not valid JSON")
        return problem_response(
            request,
            status=400,
            title="Malformed JSON",
            detail=f"The request body could not be parsed as JSON: {reason}.",
            type_=problem_type("malformed-json"),
        )
    # GovStack's clients expect 400 for a malformed parameter (its documents know no 422).
    return problem_response(
        request,
        status=400 if speaks_plain_json_errors(request) else 422,
        title="Invalid request",
        detail="Some of the request's values are missing or invalid; see errors.",
        type_=problem_type("validation-error"),
        field_errors=_field_errors(exc),
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    phrase = status_title(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else _default_detail(exc)
    return problem_response(request, status=exc.status_code, title=phrase, detail=detail, headers=exc.headers)


#: RFC 9110 renamed these; Python's `http.HTTPStatus` still has the old phrases.
_RFC_9110_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def status_title(status: int) -> str:
    return _RFC_9110_TITLES.get(status) or HTTPStatus(status).phrase


def _default_detail(exc: StarletteHTTPException) -> str:
    if exc.status_code == 404:
        return "There is nothing at this address."
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return f"This address does not accept that method. Allowed: {allowed}."
    return HTTPStatus(exc.status_code).description


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error", exc_info=exc)
    return problem_response(
        request,
        status=500,
        title="Internal Server Error",
        detail="Something went wrong on our side. The request id identifies it in our logs.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    # Starlette types every handler as taking `Exception`; each of ours takes the class it is registered for.
    app.add_exception_handler(GovhubError, cast("ExceptionHandler", _govhub_error))
    app.add_exception_handler(RequestValidationError, cast("ExceptionHandler", _validation_error))
    app.add_exception_handler(StarletteHTTPException, cast("ExceptionHandler", _http_error))
    app.add_exception_handler(Exception, _unexpected_error)
