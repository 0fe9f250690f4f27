from __future__ import annotations

from pydantic import BaseModel


class Liveness(BaseModel):
    status: str


class MigrationState(BaseModel):
    current: str | None
    heads: list[str]


class Readiness(BaseModel):
    status: str
    database: str
    migrations: MigrationState
