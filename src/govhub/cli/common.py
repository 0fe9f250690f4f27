"""What every command needs: settings that load or a clear message, logging, and one runner for a command's
unit of work (`run_unit_of_work`), so each command states only its work."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import ConfigurationError, Settings, default_database_url
from govhub.db import (
    Database,
    MigrationStatus,
    migration_heads,
    migration_status,
    schema_problem,
    sqlite_file_missing,
)
from govhub.kit.errors import GovhubError
from govhub.kit.logging import configure_logging

T = TypeVar("T")


def load_settings() -> Settings:
    try:
        settings = Settings()
        settings.check_can_start()
    except ValidationError as error:
        lines = [
            f"  - GOVHUB_{'_'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        ]
        raise click.ClickException("the settings are invalid:\n" + "\n".join(lines)) from None
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _setting_name(location: tuple[int | str, ...]) -> str:
    return "_".join(str(part) for part in location).upper()


async def open_database(settings: Settings) -> Database:
    """The configured database, once it is known to hold the schema the code expects. Otherwise one line
    saying where the database is and the command that fixes it, instead of a driver's traceback at the
    first missing table; and a SQLite file that does not exist is not created empty on the way."""
    if sqlite_file_missing(settings.database_url):
        status = MigrationStatus(current=None, heads=migration_heads(), reachable=True)
    else:
        database = Database(settings)
        status = await migration_status(database.engine, migration_heads())
        if status.at_head:
            return database
        await database.dispose()
    default = settings.database_url == default_database_url()
    problem = schema_problem(status, settings.database_url, default=default)
    raise click.ClickException(problem or status.describe())


async def in_unit_of_work(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction, committed when it returns: a CLI command's unit of work."""
    database = await open_database(settings)
    try:
        async with database.sessions() as session, session.begin():
            return await work(session)
    finally:
        await database.dispose()


def run_unit_of_work(
    work: Callable[[AsyncSession, Settings], Awaitable[T]],
    *,
    settings: Settings | None = None,
    list_field_errors: bool = True,
    reported: tuple[type[Exception], ...] = (),
) -> T:
    """Run a command's `work` in one unit of work: committed when it returns, nothing kept when it raises.

    The settings are loaded here unless the command loaded them already. A `GovhubError` becomes the
    command's error message (exit code 1): its detail, then each field error when `list_field_errors`
    (the members, services and clients commands list them; the identity, ledger and registry commands
    print the detail alone). Exceptions in `reported` become their own message the same way."""
    loaded = settings if settings is not None else load_settings()

    async def in_session(session: AsyncSession) -> T:
        return await work(session, loaded)

    try:
        return asyncio.run(in_unit_of_work(loaded, in_session))
    except GovhubError as error:
        if not (list_field_errors and error.field_errors):
            raise click.ClickException(error.detail) from None
        listed = "\n".join(f"  - {e.name.lstrip('/')}: {e.detail}" for e in error.field_errors)
        raise click.ClickException(f"{error.title}:\n{listed}") from None
    except reported as error:
        raise click.ClickException(str(error)) from None


def echo(described: Any, as_json: bool, text: str) -> None:
    """A command's result: `described` as indented JSON with `--json`, else `text`."""
    click.echo(json.dumps(described, indent=2) if as_json else text)
