"""`govhub.db.generic_plans`: PostgreSQL's own plan cache mode for the statements of a bulk insert (whose
foreign-key checks are then planned once), every connection's forced custom plans again after them, and
after an error too, once its savepoint or transaction is rolled back. Nothing on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from govhub.db import generic_plans


async def _plan_cache_mode(connection: AsyncConnection) -> str:
    return str((await connection.exec_driver_sql("SELECT current_setting('plan_cache_mode')")).scalar())


async def test_generic_plans_hold_only_within_the_block(backend: str, connection: AsyncConnection) -> None:
    if backend != "postgresql":
        async with generic_plans(connection):
            assert (await connection.exec_driver_sql("SELECT 1")).scalar() == 1
        return
    assert await _plan_cache_mode(connection) == "force_custom_plan"
    async with generic_plans(connection):
        assert await _plan_cache_mode(connection) == "auto"
    assert await _plan_cache_mode(connection) == "force_custom_plan"


async def test_an_error_in_the_block_leaves_forced_custom_plans_after_the_rollback(
    backend: str, connection: AsyncConnection
) -> None:
    if backend != "postgresql":
        pytest.skip("plan cache modes are PostgreSQL's")
    savepoint = await connection.begin_nested()
    with pytest.raises(ZeroDivisionError):
        async with generic_plans(connection):
            raise ZeroDivisionError
    await savepoint.rollback()
    assert await _plan_cache_mode(connection) == "force_custom_plan"
