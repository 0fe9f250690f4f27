"""`govhub govstack load`: GovStack's conformance scenario data, loaded into this deployment.

GovStack certifies a product by loading its scenario data into the product (each candidate writes its own
loader) and running its published scenarios against it. This is govhub's loader: the Digital Registries part
(the registers, records and databases of `test/openAPI/test-data.json` in GovStackWorkingGroup/
bb-digital-registries) and the Information Mediator directory part. Idempotent: a second run changes
nothing, and a run after the scenarios puts back the records they changed or deleted. README.md says how to
run GovStack's scenarios against `make run`.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import run_unit_of_work
from govhub.config import Settings
from govhub.members import load_directory_scenario, read_directory_scenario_data
from govhub.registries import load_govstack_scenario, read_scenario_data


@click.group()
def govstack() -> None:
    """GovStack conformance: load the scenario data its published scenarios expect."""


@govstack.command()
@click.option(
    "--registries-data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A Digital Registries scenario data file (test-data.json); default: the copy govhub ships.",
)
@click.option(
    "--directory-data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="An Information Mediator directory scenario data file; default: the copy govhub ships.",
)
def load(registries_data: Path | None, directory_data: Path | None) -> None:
    """Load GovStack's scenario data (safe to repeat). The directory's services answer at the platform's
    public URL, which the outbound-address guard checks: on a laptop, allow loopback with
    GOVHUB_GATEWAY_ALLOWED_NETWORKS, as `make run` does."""
    try:
        registries = read_scenario_data(registries_data)
    except ValueError as error:
        raise click.ClickException(f"{registries_data or 'the packaged registries data'}: {error}") from None
    try:
        directory = read_directory_scenario_data(directory_data)
    except ValueError as error:
        raise click.ClickException(f"{directory_data or 'the packaged directory data'}: {error}") from None

    async def work(session: AsyncSession, settings: Settings) -> list[str]:
        registers = await load_govstack_scenario(session, settings, registries)
        members = await load_directory_scenario(session, settings, directory)
        return [f"Digital Registries: {line}" for line in registers] + [
            f"Information Mediator: {line}" for line in members.splitlines()
        ]

    # On an error nothing was kept: the unit of work rolled back.
    for line in run_unit_of_work(work, list_field_errors=False):
        click.echo(line)
