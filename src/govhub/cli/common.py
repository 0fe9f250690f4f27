"""What every command needs: settings that load or a clear message, and logging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import ConfigurationError, Settings
from govhub.db import Database
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


async def in_unit_of_work(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction, committed when it returns: a CLI command's unit of work."""
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            return await work(session)
    finally:
        await database.dispose()
