"""The test harness: one database per xdist worker on the chosen backend, migrated with Alembic (not
`create_all`); each test runs inside a transaction that is rolled back, so tests never see each other."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from govhub.app import create_app
from govhub.config import Environment, Settings
from govhub.db import alembic_config, create_async_engine, session_factory
from tests.support.databases import BACKENDS, SuiteDatabases, database_on
from tests.support.outbound import TEST_HOSTS

#: Lets several suites share one PostgreSQL server at once without dropping each other's databases.
DATABASE_PREFIX = os.environ.get("GOVHUB_TEST_DATABASE_PREFIX", "").lower()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=BACKENDS,
        default=os.environ.get("GOVHUB_TEST_BACKEND", "sqlite"),
        help="backend to run the suite on; postgresql reads GOVHUB_TEST_DATABASE_URL",
    )


def pytest_configure() -> None:
    # A developer's own GOVHUB_* settings must not change what the suite sees.
    for name in list(os.environ):
        if name.startswith("GOVHUB_") and not name.startswith("GOVHUB_TEST_"):
            del os.environ[name]


def pytest_report_header(config: pytest.Config) -> str:
    return f"govhub database backend: {config.getoption('--database')}"


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    chosen: str = request.config.getoption("--database")
    return chosen


@pytest.fixture(scope="session")
def worker_id_safe(worker_id: str) -> str:
    return worker_id.replace("-", "_")


@pytest.fixture(scope="session")
def test_databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> SuiteDatabases:
    return SuiteDatabases.for_backend(backend, tmp_path_factory.mktemp("sqlite"))


def migrated_database(test_databases: SuiteDatabases, name: str) -> Iterator[str]:
    """A database called `name` (with the run's prefix), migrated to head, dropped afterwards."""
    name = f"{DATABASE_PREFIX}{name}"
    url = test_databases.create(name)
    command.upgrade(alembic_config(url), "head")
    yield url
    test_databases.drop(name)


@pytest.fixture(scope="session")
def database_url(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[str]:
    """This worker's database, migrated to head once for the whole session."""
    yield from migrated_database(test_databases, f"govhub_test_{worker_id_safe}")


@pytest.fixture
def blank_database_url(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[str]:
    """A database of the same backend with no migrations applied."""
    name = f"{DATABASE_PREFIX}govhub_blank_{worker_id_safe}_{uuid.uuid4().hex[:8]}"
    url = test_databases.create(name)
    yield url
    test_databases.drop(name)


@pytest.fixture
def migrated_url(blank_database_url: str) -> str:
    """A database of its own whose writes are really committed, as a running deployment's are."""
    command.upgrade(alembic_config(blank_database_url), "head")
    return blank_database_url


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, migrated_url: str) -> CliRunner:
    """A `govhub` command runner on a migrated database of its own (`tests/functional/cli` runs on a
    blank one instead)."""
    monkeypatch.setenv("GOVHUB_DATABASE_URL", migrated_url)
    monkeypatch.setenv("GOVHUB_LOG_FORMAT", "text")
    # No DNS lookup leaves the machine; the made-up names tests register resolve from a map.
    monkeypatch.setenv("GOVHUB_OUTBOUND_DNS", "false")
    monkeypatch.setenv(
        "GOVHUB_OUTBOUND_HOSTS", json.dumps({k: [str(a) for a in v] for k, v in TEST_HOSTS.items()})
    )
    return CliRunner()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.TEST,
        "database_url": database_url,
        "log_format": "text",
        # Tests that send mail start a mailbox of their own on a free port (tests/support/mail.py).
        "dev_mailbox": False,
        # No DNS lookup leaves the machine: the outbound-address guard resolves the made-up names tests
        # register from a map (tests/support/outbound.py); loopback is refused unless a test allows it.
        "outbound_dns": False,
        "outbound_hosts": TEST_HOSTS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test, whatever it committed."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with session_factory(connection)() as session:
        yield session


@pytest.fixture
async def app(settings: Settings, connection: AsyncConnection) -> AsyncIterator[FastAPI]:
    """The real app; its units of work join the test's transaction, so their commits are rolled back."""
    app = create_app(settings, database=database_on(connection, settings))
    yield app
    await app.state.database.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def artifacts_directory() -> Path:
    """Screenshots and other evidence a person can look at after a run."""
    directory = Path(__file__).resolve().parent.parent / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory
