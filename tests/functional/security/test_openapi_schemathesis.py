"""Schemathesis drives the app with requests generated from its own `/openapi.json` (issue 14): every
documented operation, as anybody and as the operation's rightful caller (a token, or a subsystem's token
and its `Information-Mediator-Client`, with the world's real ids in the path so that calls get past 401
and 404). No answer may be a server error or lie outside the document: its status code declared, its
content type declared, its body matching the declared schema.

The app is served by uvicorn in a thread on a world of its own (`world.built_world(..., "fuzz")`), whose
writes are committed: what one generated call changes, the next sees, as on a running platform.

`make test` runs a few examples per operation, the same every time; `make fuzz` many more, with fresh
randomness (GOVHUB_TEST_SCHEMATHESIS_EXAMPLES, GOVHUB_TEST_SCHEMATHESIS_RANDOM, as the GovStack spec run
does)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from govhub.app import create_app
from tests.functional.security.world import (
    CLIENT,
    METRICS_TOKEN,
    PROVIDER,
    World,
    built_world,
)
from tests.support.databases import SuiteDatabases
from tests.support.live_server import serve_in_thread

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: The suite's run is small and the same every time; `make fuzz` runs many more, with fresh randomness.
EXAMPLES = int(os.environ.get("GOVHUB_TEST_SCHEMATHESIS_EXAMPLES", "0")) or None
FRESH = os.environ.get("GOVHUB_TEST_SCHEMATHESIS_RANDOM") == "1"

#: The operations' rightful callers, by the start of their path.
CALLERS = (
    (("/data/", "/database", "/registers/{name}/grants"), "provider_subsystem"),
    (("/members/",), "members_admin_client"),
    (("/identity/clients",), "identity_admin_client"),
    (("/exchange/tracker", "/userinfo"), "tracker_token"),
    (("/r1/",), "client_subsystem"),
)
# --- answers that once lay outside the document (found by this test, then documented or fixed) -----------
JWKS_TYPE = "jwks.json is served as application/jwk-set+json (RFC 7517), and documented so"
MALFORMED_JSON = "a body that is not JSON gets a documented 400 problem"
NEXT_LEFT_OUT = "`next`/`previous` are left out when there is no such page, which the document allows"
REGISTRIES_ADMIN = "/databases, /database/* and /registers/*/grants document their 401, 403, 404 and 409"
PROBLEM_422 = "a 422 is documented as what the problem handlers send: application/problem+json"


@pytest.fixture(scope="module")
def fuzzed(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[tuple[str, World]]:
    with (
        built_world(test_databases, worker_id_safe, "fuzz") as world,
        serve_in_thread(create_app(world.settings)) as base_url,
    ):
        yield base_url, world


#: The app's document as committed (`make openapi-snapshot`): read when the tests are collected, without
#: making an app. The meta tests hold it equal to `app.openapi()`, and `test_the_document_is_the_apps_own`
#: to what the served app answers at `/openapi.json`.
SNAPSHOT = Path(__file__).resolve().parents[2] / "snapshots" / "openapi.json"
SCHEMA = schemathesis.openapi.from_path(SNAPSHOT)
if not (EXAMPLES or FRESH):
    # Each operation's path tried with every undocumented method: hundreds of 405s a run, for `make fuzz`.
    SCHEMA.config.phases.coverage.unexpected_methods = set()
#: The same document for the calls as anybody: in `make test` without schemathesis's coverage phase (its
#: many edge cases per parameter cost ten seconds a run, and the rightful caller's run has them already).
SCHEMA_AS_ANYBODY = schemathesis.openapi.from_path(SNAPSHOT)
SCHEMA_AS_ANYBODY.config.phases.coverage.enabled = bool(EXAMPLES or FRESH)


def test_the_document_is_the_apps_own(fuzzed: tuple[str, World]) -> None:
    base_url, _ = fuzzed
    served = httpx.get(base_url + "/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == json.loads(SNAPSHOT.read_text())


def _real_ids(world: World) -> dict[str, str]:
    """Path parameters the world has real values for."""
    instance, member_class, member_code, subsystem = PROVIDER.split("/")
    return {
        "registryName": "permits",
        "versionNumber": "1",
        "ID": "P-0001",
        "uuid": "P-0001",
        "field": "name",
        "ext": "json",
        "id": world.ids["database"],
        "grantee": CLIENT,
        "applicationId": world.ids["application"],
        "instance": instance,
        "memberClass": member_class,
        "memberCode": member_code,
        "subsystemCode": subsystem,
        "serviceCode": "eligibility",
        "instanceId": instance,
        "applicationCode": subsystem,
        "clientId": world.ids["relying_party"],
        "messageId": world.ids["message_id"],
    }


def _as_rightful_caller(case: Any, world: World) -> None:
    path = case.operation.path
    if case.path_parameters:
        ids = _real_ids(world)
        case.path_parameters = {name: ids.get(name, value) for name, value in case.path_parameters.items()}
        if "name" in case.path_parameters:
            case.path_parameters["name"] = "exchange" if path.startswith("/ledgers") else "permits"
    headers = dict(case.headers or {})
    for prefixes, who in CALLERS:
        if path.startswith(prefixes):
            headers.update(world[who].headers)
    if path == "/metrics":
        headers["Authorization"] = f"Bearer {METRICS_TOKEN}"
    case.headers = headers


EXAMPLES_SETTINGS = settings(
    max_examples=EXAMPLES or 4,
    deadline=None,
    derandomize=not FRESH,
    suppress_health_check=list(HealthCheck),
)


def _call(case: Any, fuzzed: tuple[str, World], *, rightful: bool) -> int:
    base_url, world = fuzzed
    if rightful:
        _as_rightful_caller(case, world)
    return int(case.call_and_validate(base_url=base_url, checks=CHECKS).status_code)


def _has_rightful_caller(path: str) -> bool:
    return path == "/metrics" or any(path.startswith(prefixes) for prefixes, _ in CALLERS)


@pytest.fixture
def let_in() -> Iterator[list[tuple[str, int]]]:
    """The (path, status) of each example of one operation sent as its rightful caller. An operation with a
    rightful caller must let at least one in (neither 401 nor 403): else the run checked only refusals,
    which a caller whose credentials no longer work would pass too."""
    answers: list[tuple[str, int]] = []
    yield answers
    if answers and _has_rightful_caller(answers[0][0]):
        assert {status for _, status in answers} - {401, 403}, f"{answers[0][0]}: only refusals, {answers}"


@SCHEMA_AS_ANYBODY.parametrize()
@EXAMPLES_SETTINGS
def test_the_app_answers_anybody_within_its_own_document(case: Any, fuzzed: tuple[str, World]) -> None:
    _call(case, fuzzed, rightful=False)


@SCHEMA.parametrize()
@EXAMPLES_SETTINGS
def test_the_app_answers_the_rightful_caller_within_its_own_document(
    case: Any, fuzzed: tuple[str, World], let_in: list[tuple[str, int]]
) -> None:
    let_in.append((case.operation.path, _call(case, fuzzed, rightful=True)))


@dataclass(frozen=True)
class Reproduction:
    """One request that once showed a gap: sent as `who`, validated against its operation."""

    method: str
    path: str
    operation: str
    who: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)


REPRODUCTIONS = {
    JWKS_TYPE: Reproduction("GET", "/.well-known/jwks.json", "/.well-known/jwks.json"),
    MALFORMED_JSON: Reproduction(
        "POST",
        "/data/permits/1/create",
        "/data/{registryName}/{versionNumber}/create",
        "provider_subsystem",
        {"Content-Type": "application/json"},
        b"{",
        {"registryName": "permits", "versionNumber": "1"},
    ),
    NEXT_LEFT_OUT: Reproduction(
        "GET",
        "/data/permits/1",
        "/data/{registryName}/{versionNumber}",
        "provider_subsystem",
        path_parameters={"registryName": "permits", "versionNumber": "1"},
    ),
    REGISTRIES_ADMIN: Reproduction(
        "GET", "/database/999999", "/database/{id}", path_parameters={"id": "999999"}
    ),
    PROBLEM_422: Reproduction(
        "GET",
        "/ledgers/exchange/entries?start=first",
        "/ledgers/{name}/entries",
        path_parameters={"name": "exchange"},
    ),
}


@pytest.mark.parametrize("gap", [pytest.param(gap, id=gap[:40]) for gap in REPRODUCTIONS])
def test_an_answer_once_outside_the_document_is_in_it(gap: str, fuzzed: tuple[str, World]) -> None:
    base_url, world = fuzzed
    shown = REPRODUCTIONS[gap]
    headers = {**(world[shown.who].headers if shown.who else {}), **shown.headers}
    response = httpx.request(
        shown.method, base_url + shown.path, headers=headers, content=shown.body, timeout=10
    )
    case = SCHEMA[shown.operation][shown.method].Case(path_parameters=shown.path_parameters)
    case.validate_response(response, checks=CHECKS)
