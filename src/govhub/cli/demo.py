"""`govhub demo load`: demo data a newcomer can click through. Idempotent: running it twice changes nothing.

Each building block that has demo data offers `govhub.<block>.demo.load(session) -> str`, which adds what
is missing and says what it did; this command runs them in order in one unit of work.
"""

from __future__ import annotations

import asyncio

import click

from govhub.blocks import BUILDING_BLOCKS
from govhub.cli.common import load_settings
from govhub.config import Settings
from govhub.db import Database


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command()
def load() -> None:
    """Load demo data into the configured database (safe to repeat)."""
    for line in asyncio.run(_load(load_settings())):
        click.echo(line)


async def _load(settings: Settings) -> list[str]:
    database = Database(settings)
    report: list[str] = []
    try:
        async with database.sessions() as session, session.begin():
            for block in BUILDING_BLOCKS:
                module = block.module("demo")
                if module is not None:
                    report.append(f"{block.name}: {await module.load(session)}")
    finally:
        await database.dispose()
    return report or ["no building block has demo data yet"]
