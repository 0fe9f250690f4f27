"""Databases for the test run: one per xdist worker, migrated with Alembic, and blank ones on demand."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from govhub.config import Settings
from govhub.db import Database, create_sync_engine
from tests.support.point_reads import ConnectionPointReads

BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL_VARIABLE = "GOVHUB_TEST_DATABASE_URL"
_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")


def database_on(connection: AsyncConnection, settings: Settings) -> Database:
    """The app's database for a test (`create_app(settings, database=database_on(connection, settings))`):
    its units of work join the test's transaction, so their commits are rolled back, and its point reads
    read on that connection, so they see what the test wrote."""
    return Database(settings, bind=connection, point_reads=ConnectionPointReads(connection))


class MissingTestDatabase(RuntimeError):
    pass


@dataclass(frozen=True)
class SuiteDatabases:
    """Creates and drops whole databases of one backend for the suite."""

    backend: str
    sqlite_directory: Path
    postgres_admin_url: URL | None

    @classmethod
    def for_backend(cls, backend: str, sqlite_directory: Path) -> SuiteDatabases:
        if backend == "sqlite":
            return cls(backend, sqlite_directory, None)
        url = os.environ.get(POSTGRES_URL_VARIABLE)
        if not url:
            raise MissingTestDatabase(
                f"--database=postgresql needs {POSTGRES_URL_VARIABLE}, e.g. "
                "postgresql://postgres@127.0.0.1:5432/test (make test finds or starts a server for you)"
            )
        return cls(backend, sqlite_directory, make_url(url))

    def create(self, name: str) -> str:
        """A new, empty database called `name`, replacing any left over from an earlier run."""
        if not _SAFE_NAME.match(name):
            raise ValueError(f"unsafe database name {name!r}")
        if self.postgres_admin_url is None:
            path = self.sqlite_directory / f"{name}.db"
            for leftover in self.sqlite_directory.glob(f"{name}.db*"):
                leftover.unlink()
            return f"sqlite:///{path}"
        self._administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        return self.postgres_admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        if self.postgres_admin_url is None:
            for file in self.sqlite_directory.glob(f"{name}.db*"):
                file.unlink()
            return
        self._administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _administer(self, *statements: str) -> None:
        assert self.postgres_admin_url is not None
        engine = create_sync_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()
