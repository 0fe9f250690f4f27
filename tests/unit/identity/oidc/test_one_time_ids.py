"""One-time ids recorded with group commit: concurrent requests share one statement, and of two equal
ids only the first is new, in one batch or across batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govhub.config import Settings
from govhub.db import Database, session_factory
from govhub.identity.oidc.models import UsedJwtId
from govhub.identity.oidc.tokens.one_time_ids import OneTimeIds
from govhub.kit.clock import utcnow


@pytest.fixture
async def database(settings: Settings, connection: AsyncConnection) -> AsyncIterator[Database]:
    database = Database(settings)
    database.sessions = session_factory(connection)
    yield database
    await database.dispose()


async def test_concurrent_ids_are_recorded_and_replays_refused(
    database: Database, session: AsyncSession
) -> None:
    recorder = OneTimeIds(database)
    later = utcnow() + timedelta(minutes=5)

    answers = await asyncio.gather(
        *(recorder.record("client_assertion", "client-a", f"jti-{n % 5}", later) for n in range(10))
    )

    assert sorted(answers) == [False] * 5 + [True] * 5
    assert await recorder.record("client_assertion", "client-a", "jti-0", later) is False
    # The same jti from another client, or of another kind, is another id.
    assert await recorder.record("client_assertion", "client-b", "jti-0", later) is True
    assert await recorder.record("dpop", "client-a", "jti-0", later) is True
    assert await session.scalar(select(func.count()).select_from(UsedJwtId)) == 7
