"""Services' OpenAPI documents: JSON and YAML read, 3.0 and 3.1 checked with the validator's error path
named, Swagger 2.0, remote references, aliases and oversized documents refused; and request paths matched
to endpoint templates, the most specific first."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from govhub.members.services.openapi_documents import (
    MAX_DOCUMENT_BYTES,
    InvalidOpenApi,
    OpenApiDocument,
    checked_document,
    load_document,
    match_endpoint,
)

FIXTURE = Path(__file__).parents[2] / "support" / "openapi" / "blue_badge_eligibility.json"


def read_document(content: bytes | str) -> OpenApiDocument:
    """A document as registration reads one: parsed, then checked."""
    return checked_document(load_document(content))


def _fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


def _refused(document: dict[str, Any] | str) -> InvalidOpenApi:
    with pytest.raises(InvalidOpenApi) as raised:
        checked_document(document) if isinstance(document, dict) else read_document(document)
    return raised.value


def test_the_fixture_document_gives_its_endpoints() -> None:
    document = read_document(FIXTURE.read_bytes())
    assert (document.version, document.title, document.api_version) == (
        "3.1.0",
        "Blue Badge eligibility",
        "1.0.0",
    )
    assert [(o.method, o.path, o.operation_id) for o in document.operations] == [
        ("GET", "/eligibility/{nhsNumber}", "getEligibility"),
        ("POST", "/assessments", "createAssessment"),
    ]


def test_a_yaml_3_0_document_is_read_with_integer_status_keys() -> None:
    document = read_document(
        """
openapi: 3.0.3
info: {title: Permits, version: '2'}
paths:
  /permits/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        200: {description: The permit}
    delete:
      responses:
        204: {description: Gone}
"""
    )
    assert document.version == "3.0.3"
    assert [(o.method, o.path) for o in document.operations] == [
        ("GET", "/permits/{id}"),
        ("DELETE", "/permits/{id}"),
    ]
    assert "200" in document.document["paths"]["/permits/{id}"]["get"]["responses"]


def test_an_invalid_document_names_where_it_is_wrong() -> None:
    document = _fixture()
    del document["info"]["version"]
    document["paths"]["/assessments"]["post"]["responses"]["201"] = {}
    error = _refused(document)
    assert error.status == 422
    pointers = {e.name for e in error.field_errors}
    assert "/info" in pointers
    assert "/paths/~1assessments/post/responses/201" in pointers
    assert '"version" is a required property' in error.detail


def test_an_undeclared_path_parameter_is_refused() -> None:
    document = _fixture()
    del document["paths"]["/eligibility/{nhsNumber}"]["get"]["parameters"]
    assert "nhsNumber" in _refused(document).detail


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"swagger": "2.0", "info": {}, "paths": {}}, "Swagger 2.0 documents are not accepted"),
        ({"openapi": "3.2.0", "info": {}, "paths": {}}, "3.0.x or 3.1.x, not '3.2.0'"),
        ({"openapi": 3.1, "info": {}, "paths": {}}, "3.0.x or 3.1.x, not '3.1'"),
        ({"info": {}}, "3.0.x or 3.1.x, not 'None'"),
    ],
)
def test_other_versions_are_refused(document: dict[str, Any], complaint: str) -> None:
    assert complaint in _refused(document).detail


def test_a_document_without_operations_is_refused() -> None:
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    assert "describes no operations" in _refused(document).detail


@pytest.mark.parametrize("target", ["http://127.0.0.1:1/schema.json", "other.yaml#/Thing", 7])
def test_references_outside_the_document_are_refused_before_validation(target: Any) -> None:
    document = _fixture()
    document["paths"]["/assessments"]["post"]["responses"]["201"] = {"$ref": target}
    error = _refused(document)
    assert "points outside the document" in error.detail
    assert error.field_errors[0].name == "/paths/~1assessments/post/responses/201"


def test_yaml_aliases_are_refused() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    assert "YAML aliases" in _refused(bomb).detail


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"{not json", "neither JSON nor YAML"),
        (b"\xff\xfe", "not UTF-8"),
        (b"- a list\n- of things\n", "is a JSON or YAML object"),
        (b"x" * (MAX_DOCUMENT_BYTES + 1), "larger than 1024 KiB"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_documents_are_refused(content: bytes | str, complaint: str) -> None:
    with pytest.raises(InvalidOpenApi) as raised:
        load_document(content)
    assert complaint in raised.value.detail


def test_deeply_nested_objects_are_refused_not_crashed_on() -> None:
    nested = '{"openapi": "3.1.0", "x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    with pytest.raises(InvalidOpenApi):
        read_document(nested)


def test_too_many_operations_are_refused() -> None:
    document = _fixture()
    ok = {"get": {"responses": {"200": {"description": "ok"}}}}
    document["paths"] = {f"/things{n}": copy.deepcopy(ok) for n in range(501)}
    assert "more than 500 operations" in _refused(document).detail


# --- matching -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Endpoint:
    method: str
    path: str


ENDPOINTS = [
    _Endpoint("GET", "/permits/{id}"),
    _Endpoint("GET", "/permits/mine"),
    _Endpoint("GET", "/permits/{id}/history"),
    _Endpoint("POST", "/permits"),
    _Endpoint("GET", "/files/{name}.json"),
    _Endpoint("GET", "/{area}/zones/{zone}"),
    _Endpoint("GET", "/north/zones/{zone}"),
    _Endpoint("GET", "/"),
]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/permits/42", "/permits/{id}"),
        ("get", "/permits/42", "/permits/{id}"),
        ("GET", "/permits/mine", "/permits/mine"),
        ("GET", "/permits/42/history", "/permits/{id}/history"),
        ("POST", "/permits", "/permits"),
        ("GET", "/files/report.json", "/files/{name}.json"),
        ("GET", "/north/zones/7", "/north/zones/{zone}"),
        ("GET", "/south/zones/7", "/{area}/zones/{zone}"),
        ("GET", "/", "/"),
    ],
)
def test_a_request_matches_the_most_specific_endpoint(method: str, path: str, expected: str) -> None:
    found = match_endpoint(ENDPOINTS, method, path)
    assert found is not None
    assert found.path == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/permits/42"),
        ("GET", "/permits"),
        ("GET", "/permits/"),
        ("GET", "/permits//history"),
        ("GET", "/permits/42/history/more"),
        ("GET", "/permits/.."),
        ("GET", "/permits/./history"),
        ("GET", "/permits/42?x=1"),
        ("GET", "/permits/42#top"),
        ("GET", "permits/42"),
        ("GET", ""),
        ("GET", "/files/report.xml"),
        ("GET", "/files/.json"),
    ],
)
def test_a_request_that_fits_no_endpoint_matches_nothing(method: str, path: str) -> None:
    assert match_endpoint(ENDPOINTS, method, path) is None


def test_a_document_given_as_an_object_meets_the_same_limits_as_text() -> None:
    from govhub.members.services.input import document_of  # noqa: PLC0415 (the one test of it here)

    document = _fixture()
    assert [o.path for o in document_of(document).operations] == ["/eligibility/{nhsNumber}", "/assessments"]
    document["info"]["description"] = "x" * MAX_DOCUMENT_BYTES
    with pytest.raises(InvalidOpenApi) as raised:
        document_of(document)
    assert "larger than 1024 KiB" in raised.value.detail
