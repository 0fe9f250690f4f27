"""`govhub demo load`: demo data a newcomer can click through. Idempotent: running it twice changes nothing.

Each building block that has demo data offers `govhub.<block>.demo.load(session, settings) -> str`, which
adds what is missing and says what it did; this command runs them in order in one unit of work.
"""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.blocks import BUILDING_BLOCKS
from govhub.cli.common import run_unit_of_work
from govhub.config import Settings
from govhub.demo_providers import network
from govhub.demo_service.registration import register_demo_service
from govhub.demo_service.settings import COUNCIL_CODE
from govhub.demo_service.settings import SUBSYSTEM_CODE as COUNCIL_SUBSYSTEM
from govhub.members import MemberId
from govhub.registries import BIRTHS, allow_exchange_reader, publish_on_exchange


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command()
def load() -> None:
    """Load demo data into the configured database (safe to repeat)."""
    # On an error nothing was kept: the unit of work rolled back.
    report = run_unit_of_work(_load_each_block, list_field_errors=False)
    for line in report or ["no building block has demo data yet"]:
        click.echo(line)


async def _load_each_block(session: AsyncSession, settings: Settings) -> list[str]:
    report: list[str] = []
    for block in BUILDING_BLOCKS:
        module = block.module("demo")
        if module is not None:
            report.append(f"{block.name}: {await module.load(session, settings)}")
    # The demo relying party is not a block: a council's service, registered with the provider.
    report.append(f"demo service: {await register_demo_service(session)}")
    # The members and the right of the demo exchange: the council's service calls the NHS trust's.
    report.append(f"demo exchange: {await network.load(session, settings)}")
    # The registries in the exchange, and the council's parking-permits subsystem may read a birth
    # record through the gateway (checking a resident's date of birth), as its owner would allow.
    report.append(f"registries in the exchange: {await publish_on_exchange(session, settings)}")
    council = MemberId(settings.members_instance, "GOV", COUNCIL_CODE).subsystem(COUNCIL_SUBSYSTEM)
    allowed = await allow_exchange_reader(session, settings, council, BIRTHS.name)
    report.append(f"registries in the exchange: {allowed}")
    return report
