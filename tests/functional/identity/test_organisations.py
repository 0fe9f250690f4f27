"""Business representatives on the backend under test: organisations, links to accounts in a role, the
`organisations` the token side reads, and the `govhub identity organisation|user link` commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.main import cli
from govhub.config import Settings
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.organisations.service import (
    AccountNotFound,
    InvalidOrganisation,
    NewOrganisation,
    OrganisationExists,
    OrganisationNotFound,
    OrganisationsService,
    Representation,
    RepresentativeExists,
    RepresentativeNotFound,
    organisations_of,
)

PASSWORD = "correct horse battery staple"


async def create_account(session: AsyncSession, settings: Settings, email: str) -> Account:
    return await IdentityService.for_session(session, settings).create_account(NewAccount(email, PASSWORD))


async def test_a_representative_is_linked_listed_and_unlinked(
    session: AsyncSession, settings: Settings
) -> None:
    service = OrganisationsService.for_session(session)
    director = await create_account(session, settings, "director@example.org")
    bakery = await service.create_organisation(
        NewOrganisation("  Ambridge   Organics Ltd ", "sc 123456", "company")
    )
    trust = await service.create_organisation(NewOrganisation("Ambridge Village Trust", "1100200", "charity"))
    assert (bakery.name, bakery.registration_number) == ("Ambridge Organics Ltd", "SC123456")

    await service.link("Director@Example.org", "SC123456", "director")
    await service.link("director@example.org", trust.public_id, "agent")

    assert await organisations_of(session, director.id) == [
        Representation(bakery.public_id, "Ambridge Organics Ltd", "SC123456", "company", "director"),
        Representation(trust.public_id, "Ambridge Village Trust", "1100200", "charity", "agent"),
    ]
    listed = await service.organisations()
    assert [(entry.organisation.name, entry.representatives) for entry in listed] == [
        ("Ambridge Organics Ltd", [("director@example.org", "director")]),
        ("Ambridge Village Trust", [("director@example.org", "agent")]),
    ]

    await service.unlink("director@example.org", trust.public_id)
    assert [r.name for r in await organisations_of(session, director.id)] == ["Ambridge Organics Ltd"]
    with pytest.raises(RepresentativeNotFound, match="does not act for Ambridge Village Trust"):
        await service.unlink("director@example.org", trust.public_id)
    newcomer = await create_account(session, settings, "newcomer@example.org")
    assert await organisations_of(session, newcomer.id) == []


async def test_bad_and_clashing_organisations_are_refused(session: AsyncSession, settings: Settings) -> None:
    service = OrganisationsService.for_session(session)
    with pytest.raises(InvalidOrganisation) as raised:
        await service.create_organisation(NewOrganisation(" ", "no/slashes", "club"))
    assert [error.name for error in raised.value.field_errors] == ["/name", "/registrationNumber", "/kind"]
    assert raised.value.status == 422

    await service.create_organisation(NewOrganisation("Borchester Land", "01234567", "company"))
    with pytest.raises(OrganisationExists, match="Borchester Land"):
        await service.create_organisation(NewOrganisation("Another name", "01234567", "company"))
    # The same number in another register is another organisation, but no longer names one by itself.
    await service.create_organisation(NewOrganisation("Borchester Land Trust", "01234567", "charity"))
    await create_account(session, settings, "rep@example.org")
    with pytest.raises(OrganisationNotFound, match="More than one organisation"):
        await service.link("rep@example.org", "01234567", "employee")


async def test_links_to_unknown_parties_or_in_unknown_roles_are_refused(
    session: AsyncSession, settings: Settings
) -> None:
    service = OrganisationsService.for_session(session)
    made = await service.create_organisation(
        NewOrganisation("Felpersham Council", "E07000999", "public-body")
    )
    await create_account(session, settings, "clerk@example.org")
    with pytest.raises(InvalidOrganisation, match="The role is one of director, employee, agent"):
        await service.link("clerk@example.org", made.public_id, "owner")
    with pytest.raises(AccountNotFound, match=r"no account for nobody@example\.org"):
        await service.link("nobody@example.org", made.public_id, "employee")
    with pytest.raises(OrganisationNotFound):
        await service.link("clerk@example.org", "E99999999", "employee")
    with pytest.raises(OrganisationNotFound):
        await service.link("clerk@example.org", "\x00", "employee")
    await service.link("clerk@example.org", made.public_id, "employee")
    with pytest.raises(RepresentativeExists, match="already acts for Felpersham Council as employee"):
        await service.link("clerk@example.org", made.public_id, "director")


def test_operators_manage_organisations_from_the_command_line(runner: CliRunner) -> None:
    made = runner.invoke(
        cli,
        ["identity", "user", "create", "--email", "rep@example.org", "--password", PASSWORD],
    )
    assert made.exit_code == 0, made.output
    created = runner.invoke(
        cli,
        [
            "identity", "organisation", "create", "--name", "Ambridge Organics Ltd",
            "--registration-number", "SC123456", "--kind", "company", "--json",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    organisation = json.loads(created.output)
    assert organisation["registrationNumber"] == "SC123456"
    assert organisation["kind"] == "company"

    linked = runner.invoke(
        cli,
        [
            "identity", "user", "link", "--email", "rep@example.org", "--organisation", "sc123456",
            "--role", "director", "--json",
        ],
    )  # fmt: skip
    assert linked.exit_code == 0, linked.output
    assert json.loads(linked.output) == {
        "email": "rep@example.org",
        "role": "director",
        "organisation": organisation,
    }

    listed = runner.invoke(cli, ["identity", "organisation", "list", "--json"])
    assert json.loads(listed.output) == [
        {**organisation, "representatives": [{"email": "rep@example.org", "role": "director"}]}
    ]
    text = runner.invoke(cli, ["identity", "organisation", "list"])
    assert (
        f"Ambridge Organics Ltd\tcompany\tSC123456\t{organisation['id']}\trep@example.org (director)"
        in text.output
    )

    again = runner.invoke(
        cli, ["identity", "organisation", "create", "--name", "X", "--registration-number", "SC123456",
              "--kind", "company"],
    )  # fmt: skip
    assert again.exit_code == 1
    assert "already registered: Ambridge Organics Ltd" in again.output
    wrong_role = runner.invoke(
        cli, ["identity", "user", "link", "--email", "rep@example.org", "--organisation", "SC123456",
              "--role", "owner"],
    )  # fmt: skip
    assert wrong_role.exit_code == 2
    assert "'owner' is not one of 'director', 'employee', 'agent'" in wrong_role.output

    unlinked = runner.invoke(
        cli, ["identity", "user", "unlink", "--email", "rep@example.org",
              "--organisation", organisation["id"], "--json"],
    )  # fmt: skip
    assert unlinked.exit_code == 0, unlinked.output
    assert json.loads(unlinked.output)["organisation"]["id"] == organisation["id"]
    gone = runner.invoke(
        cli,
        ["identity", "user", "unlink", "--email", "rep@example.org", "--organisation", organisation["id"]],
    )
    assert gone.exit_code == 1
    assert "rep@example.org does not act for Ambridge Organics Ltd" in gone.output
    assert "no organisations yet" not in runner.invoke(cli, ["identity", "organisation", "list"]).output
