"""Point reads on the test's own connection, so a rollback-isolated app answers them from the data the
test wrote (and never from rows another test committed to the worker's database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class ConnectionPointReads:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.answered = 0

    async def one(self, statement: str, parameters: Mapping[str, Any]) -> Sequence[Any] | None:
        row = (await self.connection.execute(text(statement), dict(parameters))).first()
        if row is None:
            return None
        if all(value is not None for value in row):
            self.answered += 1  # found everything it looked for
        return tuple(row)

    async def close(self) -> None:
        return None
