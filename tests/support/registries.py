"""Factories and the demo registers for registries tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.config import Settings
from govhub.db import create_async_engine, session_factory
from govhub.registries import demo
from govhub.registries.definitions import RegisterDefinition

PLATFORM = "govhub/GOV/platform"


def open_register(name: str, properties: dict[str, Any], key_field: str) -> RegisterDefinition:
    """An open register owned by the platform, version `1`, with a schema of `properties`."""
    return RegisterDefinition(
        name=name,
        title=name.title(),
        description=f"The {name} test register.",
        classification="open",
        owner=PLATFORM,
        database_code=name.upper(),
        version="1",
        record_schema={"type": "object", "properties": properties},
        key_field=key_field,
    )


@asynccontextmanager
async def load_demo_registers(database_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on `database_url` after the demo registers (`govhub.registries.demo`) are loaded into it
    and committed: the registries' tests share them, loaded once per worker, each test rolling back."""
    engine = create_async_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await demo.load(session, settings)
            await session.commit()
        yield engine
    finally:
        await engine.dispose()
