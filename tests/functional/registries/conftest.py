"""The registries' tests call the API as GovStack's clients do, with the bare `Information-Mediator-Client`
header: from a trusted mediator's network, GovStack's own model (an X-Road security server in front). The
test client's address is 127.0.0.1 (httpx's ASGI transport), which these settings trust; the tests of the
other ways to identify, and of an untrusted address, are in `test_callers.py`.

They run on a database of their own per worker, holding the demo registers `make run` loads: loading them
takes longer than most tests here, so it is done once per worker rather than once per test. Each test still
runs in a transaction rolled back afterwards (tests/conftest.py), so it sees the demo data as loaded,
whatever an earlier test changed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from tests.conftest import make_settings, migrated_database
from tests.support.databases import SuiteDatabases
from tests.support.registries import load_demo_registers

#: Where the test client's requests come from (httpx.ASGITransport's default client address).
MEDIATOR_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(scope="session")
def database_url(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[str]:
    """This worker's registries database, migrated to head once for the whole session."""
    yield from migrated_database(test_databases, f"govhub_registries_{worker_id_safe}")


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url, registries_trusted_mediators=MEDIATOR_NETWORKS)


@pytest.fixture(scope="session")
async def engine(database_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The engine on this worker's registries database, the demo registers loaded and committed first."""
    async with load_demo_registers(database_url, settings) as engine:
        yield engine
