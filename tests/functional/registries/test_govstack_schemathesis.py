"""Schemathesis drives our server with requests generated from GovStack's own Digital Registries spec
(a copy in `tests/specs/govstack/`): no response may be a server error, and every documented response must
match the spec. Requests address the conformance scenario's register as its client does."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from alembic import command
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from govhub.app import create_app
from govhub.db import Database, alembic_config
from govhub.registries import demo
from tests.conftest import make_settings
from tests.functional.registries.conftest import MEDIATOR_NETWORKS
from tests.support.databases import SuiteDatabases
from tests.support.live_server import serve_in_thread

SPECS = Path(__file__).resolve().parents[2] / "specs" / "govstack"
DATA_API = schemathesis.openapi.from_path(SPECS / "digital-registries-data-1.3.0.yaml")
DATABASE_API = schemathesis.openapi.from_path(SPECS / "digital-registries-database-1.3.0.yaml")
CLIENT = "eGovStack/GOV/90000009/digitalregistries"
CHECKS = [not_a_server_error, response_schema_conformance]
#: The suite's run is small and the same every time; `make fuzz` runs many more, with fresh randomness.
EXAMPLES = int(os.environ.get("GOVHUB_TEST_SCHEMATHESIS_EXAMPLES", "0")) or None
FRESH = os.environ.get("GOVHUB_TEST_SCHEMATHESIS_RANDOM") == "1"


@pytest.fixture(scope="module")
def server(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[str]:
    name = f"govhub_schemathesis_{worker_id_safe}"
    url = test_databases.create(name)
    command.upgrade(alembic_config(url), "head")
    # GovStack's clients name themselves with the bare header, believed from a trusted mediator's network
    # (the server's clients are on loopback): without it every call to the scenario's personal register
    # would be a 401 and the run would exercise nothing behind it.
    configured = make_settings(url, registries_trusted_mediators=MEDIATOR_NETWORKS)

    async def load_demo() -> None:
        database = Database(configured)
        async with database.sessions() as session, session.begin():
            await demo.load(session, configured)
        await database.dispose()

    asyncio.run(load_demo())
    with serve_in_thread(create_app(configured)) as base_url:
        yield base_url
    test_databases.drop(name)


def _aim_at_the_scenario(case: Any) -> None:
    # The spec's `apiKey` (an Authorization header) is the mediator's business: a generated one is no
    # subsystem's token, and would be refused (401) before the request reached anything behind it. Random
    # bearer tokens are fuzzed by the run over the app's own document.
    headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "authorization"}
    case.headers = {**headers, "Information-Mediator-Client": CLIENT}
    if case.path_parameters is not None and "registryName" in case.path_parameters:
        scenario = {"registryName": "registryname", "versionNumber": "111"}
        case.path_parameters = {**case.path_parameters, **scenario}


@DATA_API.parametrize()
@settings(
    max_examples=EXAMPLES or 25, deadline=None, derandomize=not FRESH, suppress_health_check=list(HealthCheck)
)
def test_data_api_against_the_govstack_spec(case: Any, server: str) -> None:
    _aim_at_the_scenario(case)
    case.call_and_validate(base_url=server, checks=CHECKS)


@DATABASE_API.parametrize()
@settings(
    max_examples=EXAMPLES or 15, deadline=None, derandomize=not FRESH, suppress_health_check=list(HealthCheck)
)
def test_database_api_against_the_govstack_spec(case: Any, server: str) -> None:
    _aim_at_the_scenario(case)
    case.call_and_validate(base_url=server, checks=CHECKS)
