"""The world the attacker-style tests share: built and committed once per worker (`world.built_world`),
one app on it, and each test in a transaction of its own (`world.in_transaction`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.app import create_app
from tests.functional.security.world import World, built_world, in_transaction, world_engine
from tests.support.databases import SuiteDatabases


@pytest.fixture(scope="session")
def world(test_databases: SuiteDatabases, worker_id_safe: str) -> Iterator[World]:
    with built_world(test_databases, worker_id_safe) as built:
        yield built


@pytest.fixture(scope="session")
async def world_engine_(world: World) -> AsyncIterator[AsyncEngine]:
    engine = world_engine(world)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def world_app(world: World) -> AsyncIterator[FastAPI]:
    """One app for the worker's tests (making one costs about a second), run with its lifespan."""
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def world_client(world_engine_: AsyncEngine, world_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the world's app whose every write is rolled back after the test."""
    async with in_transaction(world_engine_, world_app) as app:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
