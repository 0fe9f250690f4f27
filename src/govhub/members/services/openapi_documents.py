"""Services' OpenAPI documents: reading one (JSON, or YAML with `safe_load` and no aliases), checking it
against the OpenAPI 3.0 or 3.1 specification (`openapi-spec-validator`), reading its endpoints, and matching
a concrete request path against the endpoints' path templates.

The document is hostile input: it is bounded in size and in operations, YAML aliases are refused (an alias
bomb expands to gigabytes when walked), and every `$ref` must point inside the document (`#/...`): the
validator would otherwise fetch remote references, a request to wherever the document says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from govhub.kit.errors import FieldError, GovhubError
from govhub.members.services.models import METHODS

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_OPERATIONS = 500
MAX_PATH = 500
MAX_ERRORS_SHOWN = 5
_VERSION_30 = re.compile(r"3\.0\.\d+")
_VERSION_31 = re.compile(r"3\.1\.\d+")
#: `{name}` in a path template (OpenAPI 3.1 §4.8.2, "Path Templating").
_PARAMETER = re.compile(r"\{[^{}/]+\}")


class InvalidOpenApi(GovhubError):
    status = 422
    slug = "invalid-openapi"
    title = "The OpenAPI document is not valid"


def _refuse(detail: str, pointer: str = "/openapi") -> InvalidOpenApi:
    return InvalidOpenApi(detail, field_errors=[FieldError("body", pointer, detail)])


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str | None
    summary: str | None


@dataclass(frozen=True)
class OpenApiDocument:
    document: dict[str, Any]
    #: The `openapi` field: 3.0.x or 3.1.x.
    version: str
    title: str
    description: str
    #: `info.version`: the version of the service's API.
    api_version: str
    operations: list[Operation]


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not accepted: write the value out")
        return super().compose_node(parent, index)


def load_document(content: bytes | str) -> dict[str, Any]:
    """The document read from JSON or YAML text, as JSON values, or `InvalidOpenApi` saying why not."""
    raw = content.encode() if isinstance(content, str) else content
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise _refuse(f"The OpenAPI document is larger than {MAX_DOCUMENT_BYTES // 1024} KiB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("The OpenAPI document is not UTF-8 text.") from None
    try:
        loaded = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, _NoAliasLoader)  # noqa: S506 (a SafeLoader)
        # YAML's integers as keys (`200:`) and dates become JSON's strings, as stored and served.
        document = json.loads(json.dumps(loaded, default=str))
    except (ValueError, yaml.YAMLError) as error:
        raise _refuse(f"The OpenAPI document is neither JSON nor YAML: {str(error)[:300]}") from None
    except RecursionError:
        raise _refuse("The OpenAPI document is nested too deeply.") from None
    if not isinstance(document, dict):
        raise _refuse("The OpenAPI document is a JSON or YAML object (openapi, info, paths...).")
    return document


def _references(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield pointer, item
            yield from _references(item, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _references(item, f"{pointer}/{index}")


def _pointer(path: Iterable[Any]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def checked_document(document: dict[str, Any]) -> OpenApiDocument:
    """The document if it is a valid OpenAPI 3.0 or 3.1 document we can serve, with its operations."""
    version = document.get("openapi")
    if "swagger" in document:
        raise _refuse(
            "Swagger 2.0 documents are not accepted: convert it to OpenAPI 3.0 or 3.1 "
            "(for example with swagger2openapi).",
            "/swagger",
        )
    if not isinstance(version, str) or not (_VERSION_30.fullmatch(version) or _VERSION_31.fullmatch(version)):
        raise _refuse(f"The document's `openapi` field is 3.0.x or 3.1.x, not {str(version)[:40]!r}.")
    try:
        for pointer, target in _references(document):
            if not isinstance(target, str) or not target.startswith("#"):
                raise _refuse(
                    f"At {pointer}: $ref {str(target)[:100]!r} points outside the document; only "
                    "references inside it (#/components/...) are accepted.",
                    pointer,
                )
    except RecursionError:
        raise _refuse("The OpenAPI document is nested too deeply.") from None
    validator = OpenAPIV30SpecValidator if version.startswith("3.0") else OpenAPIV31SpecValidator
    problems: list[FieldError] = []
    try:
        for error in validator(document).iter_errors():
            where = _pointer(getattr(error, "absolute_path", None) or [])
            message = getattr(error, "message", None) or str(error)
            problems.append(FieldError("body", where or "/", message.splitlines()[0][:300]))
            if len(problems) >= MAX_ERRORS_SHOWN:
                break
    # The validator walks hostile input: whatever it trips on is the document's fault, never a 500.
    except Exception as error:
        problems.append(FieldError("body", "/", f"{type(error).__name__}: {str(error)[:300]}"))
    if problems:
        listed = "; ".join(f"{p.name}: {p.detail}" for p in problems)
        raise InvalidOpenApi(f"The document is not valid OpenAPI {version}: {listed}", field_errors=problems)
    operations = list(_operations(document))
    if not operations:
        raise _refuse("The document describes no operations: add at least one under `paths`.", "/paths")
    info = document["info"]
    return OpenApiDocument(
        document=document,
        version=version,
        title=str(info.get("title", ""))[:200],
        description=str(info.get("description", "") or info.get("summary", "")),
        api_version=str(info.get("version", ""))[:100],
        operations=operations,
    )


def _operations(document: dict[str, Any]) -> Iterator[Operation]:
    count = 0
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        if len(path) > MAX_PATH or not path.startswith("/"):
            raise _refuse(
                f"The path {path[:60]!r} starts with / and is at most {MAX_PATH} characters.", "/paths"
            )
        for method in METHODS:
            operation = item.get(method.lower())
            if not isinstance(operation, dict):
                continue
            count += 1
            if count > MAX_OPERATIONS:
                raise _refuse(f"The document has more than {MAX_OPERATIONS} operations.", "/paths")
            operation_id = operation.get("operationId")
            summary = operation.get("summary")
            yield Operation(
                method,
                path,
                str(operation_id)[:200] if operation_id is not None else None,
                str(summary)[:500] if summary is not None else None,
            )


# --- matching a request to an endpoint --------------------------------------------------------------------


class Endpoint(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...


E = TypeVar("E", bound=Endpoint)


def _segment_pattern(segment: str) -> re.Pattern[str] | None:
    """None for a literal segment; else a pattern where each `{name}` is one or more characters but `/`."""
    if not _PARAMETER.search(segment):
        return None
    parts = _PARAMETER.split(segment)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def _specificity(template: str, concrete: list[str]) -> tuple[tuple[int, ...], int] | None:
    """How specifically the template matches the concrete path's segments, or None when it does not.
    Literal segments beat templated ones, from the left; then more literal characters win."""
    segments = template.split("/")
    if len(segments) != len(concrete):
        return None
    ranks: list[int] = []
    literal_characters = 0
    for pattern_text, value in zip(segments, concrete, strict=True):
        pattern = _segment_pattern(pattern_text)
        if pattern is None:
            if pattern_text != value:
                return None
            ranks.append(1)
            literal_characters += len(value)
        else:
            if not pattern.fullmatch(value):
                return None
            ranks.append(0)
            literal_characters += len(_PARAMETER.sub("", pattern_text))
    return tuple(ranks), literal_characters


def match_endpoint(endpoints: Iterable[E], method: str, concrete_path: str) -> E | None:
    """The endpoint a request (`GET`, `/permits/42`) is for: exact segments match themselves, `{param}`
    one non-empty segment; the most specific match wins. None when nothing matches, and for paths a
    provider could read as something else (empty, `.` or `..` segments, a query or fragment)."""
    if not concrete_path.startswith("/") or "?" in concrete_path or "#" in concrete_path:
        return None
    concrete = concrete_path.split("/")
    if any(segment in {"", ".", ".."} for segment in concrete[1:]) and concrete_path != "/":
        return None
    wanted = method.upper()
    best: tuple[tuple[tuple[int, ...], int], E] | None = None
    for endpoint in endpoints:
        if endpoint.method != wanted:
            continue
        rank = _specificity(endpoint.path, concrete)
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, endpoint)
    return None if best is None else best[1]
