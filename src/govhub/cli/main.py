"""Entry point of the `govhub` console script."""

from __future__ import annotations

import click

from govhub.cli.db import db
from govhub.cli.demo import demo
from govhub.cli.demo_provider import demo_provider
from govhub.cli.demo_service import demo_service
from govhub.cli.govstack import govstack
from govhub.cli.identity import identity
from govhub.cli.ledger import ledger
from govhub.cli.members import member
from govhub.cli.registry import registry
from govhub.cli.serve import serve
from govhub.cli.services import access, service


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govhub")
def cli() -> None:
    """govhub: government as a platform. Settings come from GOVHUB_* variables or a .env file."""


cli.add_command(serve)
cli.add_command(db)
cli.add_command(demo)
cli.add_command(demo_service)
cli.add_command(demo_provider)
cli.add_command(govstack)
cli.add_command(ledger)
cli.add_command(registry)
cli.add_command(identity)
cli.add_command(member)
cli.add_command(service)
cli.add_command(access)


def main() -> None:
    cli()
