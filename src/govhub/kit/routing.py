"""The route class every block's API uses: a JSON body must arrive as JSON, and a request is matched
against its path's regular expression only if it begins with the path's literal text.

FastAPI would try to parse any body as JSON whatever its `Content-Type`, and answer a form post to a JSON
endpoint with a confusing validation error. This route answers 415 with a problem that says what to send.

Starlette finds a request's route by trying each route's regular expression in turn: reaching `/token`,
72nd of 115 routes, took 53 us, 6 to 12 % of a `client_credentials` grant (py-spy), and 32 us with this
check. The literal text before a path's first `{` (all of it, for most paths) must begin any path the
expression matches, and comparing it costs a fraction of a regular expression.

A route may be answered first by a fast path of its own (`answered_first_by`), before FastAPI resolves
its parameters and dependencies; whatever the fast path does not answer goes to the endpoint as usual.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import Scope

from govhub.kit.errors import GovhubError
from govhub.kit.problems import JSON_UTF8, PROBLEM_JSON, plain_json_errors_at


class UnsupportedMediaType(GovhubError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


#: RFC 9110 §5.6.2 `token`; a media type is `token "/" token` (§8.3.1).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # noqa: S105 (HTTP's `token`, no secret)
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})")
#: One parameter (§5.6.6): `OWS ";" OWS [ name "=" (token / quoted-string) ]` (it may be empty), the
#: quoted string with its escapes (§5.6.4).
_PARAMETER = re.compile(
    rf'[ \t]*;[ \t]*(?:({_TOKEN})=({_TOKEN}|"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t -~])*"))?'
)


def parse_media_type(content_type: str) -> tuple[str, dict[str, str]] | None:
    """`type/subtype` (lower case) and its parameters (names lower case, quoted values unquoted) of a
    `Content-Type` value, or None when it is not one media type as RFC 9110 §8.3 writes it: a list, a
    missing subtype, a stray character, a parameter without a value."""
    text = content_type.strip(" \t")
    matched = _MEDIA_TYPE.match(text)
    if matched is None:
        return None
    parameters: dict[str, str] = {}
    position = matched.end()
    while position < len(text):
        parameter = _PARAMETER.match(text, position)
        if parameter is None or parameter.end() == position:
            return None
        position = parameter.end()
        if parameter.group(1) is None:
            continue
        name, value = parameter.group(1).lower(), parameter.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        parameters[name] = value
    return f"{matched.group(1)}/{matched.group(2)}".lower(), parameters


def is_json_media_type(content_type: str) -> bool:
    """`application/json` or an `application/...+json` type (RFC 6839 §3.1), parsed exactly, with no
    charset but UTF-8 (JSON is UTF-8: RFC 8259 §8.1). `text/plain; x=json` is not JSON, nor is
    `application/json, text/plain`."""
    parsed = parse_media_type(content_type)
    if parsed is None:
        return False
    media_type, parameters = parsed
    subtype = media_type.removeprefix("application/")
    if subtype == media_type or not (subtype == "json" or (subtype.endswith("+json") and len(subtype) > 5)):
        return False
    return parameters.get("charset", "utf-8").lower() == "utf-8"


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length.strip() != "0")


#: RFC 9457's members as govhub fills them (`kit.problems`), for the document's refusals.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response whose body is an RFC 9457 problem."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


def plain_json_problem_response(description: str) -> dict[str, Any]:
    """The same, on a path whose errors are plain JSON unless the client asks for a problem
    (`kit.problems.plain_json_errors_under`)."""
    schema = {"schema": PROBLEM_SCHEMA}
    return {"description": description, "content": {"application/json": schema, PROBLEM_JSON: schema}}


def optional_header(name: str, description: str) -> dict[str, Any]:
    """An optional text header in the OpenAPI document, as FastAPI writes a `str | None` `Header`."""
    schema = {"anyOf": [{"type": "string"}, {"type": "null"}], "description": description, "title": name}
    return {"description": description, "in": "header", "name": name, "required": False, "schema": schema}


_DocumentedDependency = TypeVar("_DocumentedDependency", bound=Callable[..., Any])


def reads_headers(
    *headers: dict[str, Any],
) -> Callable[[_DocumentedDependency], _DocumentedDependency]:
    """Documents the headers (`optional_header`) that a dependency reads from the request itself, in the
    OpenAPI operation of every route that depends on it. A header declared as a FastAPI `Header` parameter
    is looked up and validated on every request whether or not the dependency uses the value, which costs
    more than the rest of a cheap route's dependencies (40 us of a 400 us registries read)."""

    def documented(dependency: _DocumentedDependency) -> _DocumentedDependency:
        setattr(dependency, _READS_HEADERS, headers)
        return dependency

    return documented


_READS_HEADERS = "__govhub_reads_headers__"


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.literal_prefix = self.path.split("{", 1)[0]
        self._document_the_answers_to_bad_input()
        self._document_the_headers_read()

    def _document_the_headers_read(self) -> None:
        """After FastAPI's own parameters, where its `Header` parameters would have been (no route here has
        a cookie parameter to come between)."""
        extra = dict(self.openapi_extra or {})
        # `include_router` builds each route again from the included one, extra parameters included.
        documented: list[dict[str, Any]] = list(extra.get("parameters", []))
        pending = [self.dependant]
        while pending:
            dependant = pending.pop(0)
            pending[:0] = dependant.dependencies
            for header in getattr(dependant.call, _READS_HEADERS, ()):
                if header not in documented:
                    documented.append(header)
        if documented:
            self.openapi_extra = {**extra, "parameters": documented}

    def _document_the_answers_to_bad_input(self) -> None:
        """What `kit.problems` and `json_only` answer to input the route cannot take, in the OpenAPI
        document, unless the route says otherwise: FastAPI's own default for a 422 names a body of its own
        (`HTTPValidationError`, as `application/json`), which is not what the problem handlers send."""
        declared = {str(status).upper() for status in self.responses}
        answers: dict[int, dict[str, Any]] = {}
        invalid = "A parameter or the body breaks its schema; `errors` lists each."
        if plain_json_errors_at(self.path):
            # GovStack's clients expect 400 for both, and plain JSON (`kit.problems`).
            if self.dependant.path_params or self.dependant.query_params or self.body_field is not None:
                answers[400] = plain_json_problem_response(invalid + " Or the body is not well-formed JSON.")
                # Not FastAPI's own 422 body: what a value the rules refuse is answered with.
                answers[422] = plain_json_problem_response("A value breaks the rules (a record its schema).")
            if self.expects_json_body:
                answers[415] = plain_json_problem_response("The body is not JSON (application/json).")
        else:
            if self.dependant.path_params or self.dependant.query_params or self.body_field is not None:
                answers[422] = problem_response(invalid)
            if self.expects_json_body:
                answers[400] = problem_response("The body is not well-formed JSON.")
                answers[415] = problem_response("The body is not JSON (application/json).")
        for status, answer in answers.items():
            if str(status) not in declared and "4XX" not in declared and "DEFAULT" not in declared:
                self.responses[status] = answer

    # Called once per route in turn only while the app's routes are one flat list: FastAPI below 0.137
    # (docs/adr/0001-fastapi-pin.md says what lifting that pin needs).
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # With a root_path (mounted under a prefix) Starlette matches on the path without it: no shortcut.
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and not scope["path"].startswith(self.literal_prefix)
        ):
            return Match.NONE, {}
        return super().matches(scope)

    @property
    def expects_json_body(self) -> bool:
        return self.body_field is not None and not isinstance(self.body_field.field_info, params.Form)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = self._json_only(super().get_route_handler())
        fast_path: FastPath | None = getattr(self.endpoint, _FAST_PATH, None)
        if fast_path is None:
            return handler

        async def fast_first(request: Request) -> Response:
            answered = await fast_path(request)
            return answered if answered is not None else await handler(request)

        return fast_first

    def _json_only(
        self, handler: Callable[[Request], Coroutine[Any, Any, Response]]
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if not self.expects_json_body:
            return handler

        async def json_only(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if _has_body(request) and not is_json_media_type(content_type):
                sent = content_type or "no Content-Type"
                raise UnsupportedMediaType(f"This endpoint takes a JSON body (application/json), not {sent}.")
            return await handler(request)

        return json_only


#: A fast path for an endpoint (`answered_first_by`): its Response, or None to let the endpoint answer.
FastPath = Callable[[Request], Awaitable[Response | None]]
_FAST_PATH = "_govhub_fast_path"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def answered_first_by(fast_path: FastPath) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint whose requests `fast_path` may answer before FastAPI resolves its parameters and
    dependencies: for a hot route whose plainest form needs none of them (resolving them cost a read of an
    open record more than the database did). When it returns None the endpoint runs as usual, on the same
    request (Starlette keeps a body once read), so every other form, and every error, is the endpoint's."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _FAST_PATH, fast_path)
        return endpoint

    return mark


class JsonUtf8Response(JSONResponse):
    """JSON sent as `application/json; charset=utf-8`, as the GovStack documents spell it (their
    conformance scenarios compare the header exactly); the OpenAPI document still names `application/json`."""

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        super().init_headers(headers)
        self.raw_headers = [
            (name, JSON_UTF8.encode() if name == b"content-type" and value == b"application/json" else value)
            for name, value in self.raw_headers
        ]


def api_router(**options: Any) -> APIRouter:
    """An APIRouter whose routes are `ApiRoute`s. Every block builds its routers with this."""
    return APIRouter(route_class=ApiRoute, **options)
