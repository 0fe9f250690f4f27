"""`govhub identity organisation create|list` and `govhub identity user link|unlink`: business
representatives, made by an operator."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import run_unit_of_work
from govhub.config import Settings
from govhub.identity import ORGANISATION_KINDS, REPRESENTATIVE_ROLES, NewOrganisation, OrganisationsService
from govhub.identity.organisations.models import Organisation

T = TypeVar("T")


def _local(work: Callable[[OrganisationsService], Awaitable[T]]) -> T:
    async def with_service(session: AsyncSession, _settings: Settings) -> T:
        return await work(OrganisationsService.for_session(session))

    return run_unit_of_work(with_service, list_field_errors=False)


def _described(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.public_id,
        "name": organisation.name,
        "registrationNumber": organisation.registration_number,
        "kind": organisation.kind,
        "createdAt": organisation.created_at.isoformat(),
    }


@click.group()
def organisation() -> None:
    """Organisations whose representatives sign in: companies, charities, public bodies."""


@organisation.command("create")
@click.option("--name", required=True)
@click.option("--registration-number", required=True, help="Such as a company or charity number.")
@click.option("--kind", type=click.Choice(ORGANISATION_KINDS), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the organisation as JSON.")
def create_organisation(name: str, registration_number: str, kind: str, as_json: bool) -> None:
    """Register an organisation."""
    new = NewOrganisation(name, registration_number, kind)
    made = _local(lambda service: service.create_organisation(new))
    if as_json:
        click.echo(json.dumps(_described(made), indent=2))
        return
    click.echo(f"{made.kind} {made.name} ({made.registration_number}) registered, id {made.public_id}")


@organisation.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the organisations as JSON.")
def list_organisations(as_json: bool) -> None:
    """List organisations and their representatives."""
    listed = _local(lambda service: service.organisations())
    if as_json:
        described = [
            {
                **_described(entry.organisation),
                "representatives": [{"email": email, "role": role} for email, role in entry.representatives],
            }
            for entry in listed
        ]
        click.echo(json.dumps(described, indent=2))
        return
    for entry in listed:
        made = entry.organisation
        people = ", ".join(f"{email} ({role})" for email, role in entry.representatives) or "-"
        click.echo(f"{made.name}\t{made.kind}\t{made.registration_number}\t{made.public_id}\t{people}")
    if not listed:
        click.echo("no organisations yet")


_ORGANISATION_HELP = "The organisation's id, or its registration number."


@click.command("link")
@click.option("--email", required=True, help="The representative's account.")
@click.option("--organisation", "reference", required=True, help=_ORGANISATION_HELP)
@click.option("--role", type=click.Choice(REPRESENTATIVE_ROLES), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the link as JSON.")
def link_user(email: str, reference: str, role: str, as_json: bool) -> None:
    """Make an account a representative of an organisation."""
    account, made, representative = _local(lambda service: service.link(email, reference, role))
    if as_json:
        linked = {"email": account.email, "role": representative.role, "organisation": _described(made)}
        click.echo(json.dumps(linked, indent=2))
        return
    click.echo(f"{account.email} now acts for {made.name} as {representative.role}")


@click.command("unlink")
@click.option("--email", required=True, help="The representative's account.")
@click.option("--organisation", "reference", required=True, help=_ORGANISATION_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print what was unlinked as JSON.")
def unlink_user(email: str, reference: str, as_json: bool) -> None:
    """Stop an account acting for an organisation."""
    account, made = _local(lambda service: service.unlink(email, reference))
    if as_json:
        click.echo(json.dumps({"email": account.email, "organisation": _described(made)}, indent=2))
        return
    click.echo(f"{account.email} no longer acts for {made.name}")
