"""`govhub member apply|applications|approve|reject|list|show|suspend|reinstate`, `govhub member admin
grant|revoke|list` and `govhub member class add|list`: the whole onboarding of a member without a browser,
for operators. Every command prints `--json` on request; decisions are recorded as made by `command line`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import echo, run_unit_of_work
from govhub.config import Settings
from govhub.identity import ORGANISATION_KINDS
from govhub.kit.errors import GovhubError
from govhub.members import (
    APPLICATION_STATUSES,
    COMMAND_LINE,
    CONFIRMING,
    MEMBER_CLASSES,
    PLATFORM,
    ApplicationsService,
    ApplicationView,
    MemberId,
    MembershipService,
    MemberView,
    NewApplication,
    add_member_class,
    grant_platform_admin,
    member_classes,
    parse_identifier,
    parse_jwks_text,
    parse_member_id,
    platform_admins,
    revoke_platform_admin,
)

T = TypeVar("T")


def _application(application: Any) -> dict[str, Any]:
    return ApplicationView.of(application).model_dump(mode="json", by_alias=True)


def _member(details: Any) -> dict[str, Any]:
    return MemberView.of(details).model_dump(mode="json", by_alias=True)


def _member_id(text: str) -> MemberId:
    try:
        return parse_member_id(text)
    except GovhubError as error:
        raise click.BadParameter(error.detail, param_hint="MEMBER") from None


@click.group()
def member() -> None:
    """Members of the platform: onboarding applications, members, suspensions, administrators."""


@member.command("apply")
@click.option("--organisation-name", required=True)
@click.option("--registration-number", required=True, help="A company, charity or public body number.")
@click.option("--class", "member_class", type=click.Choice(list(MEMBER_CLASSES)), required=True)
@click.option("--kind", type=click.Choice(["charity", "social-enterprise"]), help="For ORG members.")
@click.option("--member-code", help="The member code asked for; the registration number when left out.")
@click.option("--contact-name", required=True)
@click.option("--contact-email", required=True)
@click.option("--subsystem", "subsystem_code", required=True, help="The first subsystem's code.")
@click.option(
    "--jwks",
    "jwks_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the subsystem's public JWK Set (or one public JWK).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the application as JSON.")
def apply(  # noqa: PLR0917 (a click command: one parameter per option)
    organisation_name: str,
    registration_number: str,
    member_class: str,
    kind: str | None,
    member_code: str | None,
    contact_name: str,
    contact_email: str,
    subsystem_code: str,
    jwks_path: Path,
    as_json: bool,
) -> None:
    """Apply for an organisation to join, with its first subsystem and that subsystem's public keys."""
    try:
        text = jwks_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"cannot read {jwks_path}: {error}", param_hint="--jwks") from None
    jwks, problem = parse_jwks_text(text)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--jwks")
    new = NewApplication(
        organisation_name=organisation_name,
        registration_number=registration_number,
        member_class=member_class,
        organisation_kind=kind,
        member_code=member_code,
        contact_name=contact_name,
        contact_email=contact_email,
        subsystem_code=subsystem_code,
        jwks=jwks,
    )

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        return _application(await ApplicationsService(session, settings.members_instance).submit(new))

    made = run_unit_of_work(work)
    echo(made, as_json, f"application {made['id']} for {made['memberId']} ({made['subsystemId']}) is pending")


@member.command("applications")
@click.option("--status", type=click.Choice(APPLICATION_STATUSES), help="Only applications in this state.")
@click.option("--json", "as_json", is_flag=True, help="Print the applications as JSON.")
def list_applications(status: str | None, as_json: bool) -> None:
    """List applications, newest first."""

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        service = ApplicationsService(session, settings.members_instance)
        return [_application(a) for a in await service.applications(status)]

    listed = run_unit_of_work(work)
    lines = [f"{a['id']}\t{a['status']}\t{a['memberId']}\t{a['organisationName']}" for a in listed]
    echo(listed, as_json, "\n".join(lines) or "no applications")


@member.command("approve")
@click.argument("application_id")
@click.option("--note", help="A note kept with the approval.")
@click.option("--json", "as_json", is_flag=True, help="Print the new member as JSON.")
def approve(application_id: str, note: str | None, as_json: bool) -> None:
    """Approve an application: the member, its subsystem and the subsystem's OAuth client, all or nothing."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        approved = await ApplicationsService(session, settings.members_instance).approve(
            application_id, COMMAND_LINE, note
        )
        if approved.status == CONFIRMING:
            return _application(approved)
        return _member(await MembershipService(session).member(PLATFORM, approved.proposed_member_id))

    made = run_unit_of_work(work)
    if made.get("status") == CONFIRMING:
        echo(
            made,
            as_json,
            f"application {made['id']} is approved, and waits for a director of the registered organisation "
            f"{made['organisationName']} to confirm the applicant: nothing is made until one does",
        )
        return
    clients = ", ".join(s["clientId"] for s in made["subsystems"])
    echo(
        made, as_json, f"{made['id']} ({made['name']}) is a member; its subsystem authenticates as {clients}"
    )


@member.command("reject")
@click.argument("application_id")
@click.option("--reason", required=True, help="Why; kept, and shown to the applicant.")
@click.option("--json", "as_json", is_flag=True, help="Print the application as JSON.")
def reject(application_id: str, reason: str, as_json: bool) -> None:
    """Reject an application, with the reason."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        service = ApplicationsService(session, settings.members_instance)
        return _application(await service.reject(application_id, COMMAND_LINE, reason))

    rejected = run_unit_of_work(work)
    echo(rejected, as_json, f"application {rejected['id']} rejected")


@member.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the members as JSON.")
def list_members(as_json: bool) -> None:
    """List members and their subsystems."""

    async def work(session: AsyncSession, _settings: Settings) -> list[dict[str, Any]]:
        return [_member(details) for details in await MembershipService(session).members(PLATFORM)]

    listed = run_unit_of_work(work)
    lines = [
        f"{m['id']}\t{m['status']}\t{m['name']}\t{','.join(s['subsystemCode'] for s in m['subsystems'])}"
        for m in listed
    ]
    echo(listed, as_json, "\n".join(lines) or "no members yet")


@member.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
def show(reference: str, as_json: bool) -> None:
    """Show a member (INSTANCE/CLASS/MEMBER), a subsystem's member (INSTANCE/CLASS/MEMBER/SUBSYSTEM) or an
    application (its reference)."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        if "/" not in reference:
            service = ApplicationsService(session, settings.members_instance)
            return _application(await service.application(reference))
        parsed = parse_identifier(reference)
        member_id = parsed if isinstance(parsed, MemberId) else parsed.member
        return _member(await MembershipService(session).member(PLATFORM, member_id))

    described = run_unit_of_work(work)
    if as_json:
        echo(described, as_json, "")
        return
    for name, value in described.items():
        if name not in {"jwks", "subsystems", "history"}:
            click.echo(f"{name}: {value}")
    for subsystem in described.get("subsystems", []):
        click.echo(f"subsystem {subsystem['id']}: client {subsystem['clientId']}, {subsystem['status']}")
    for change in described.get("history", []):
        click.echo(f"{change['changedAt']} {change['status']} by {change['changedBy']}: {change['reason']}")


def _status_command(name: str, doc: str) -> click.Command:
    @click.argument("member_id")
    @click.option("--reason", required=True, help="Why; kept in the member's history.")
    @click.option("--json", "as_json", is_flag=True, help="Print the member as JSON.")
    def command(member_id: str, reason: str, as_json: bool) -> None:
        parsed = _member_id(member_id)

        async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any]:
            service = MembershipService(session)
            act = service.suspend if name == "suspend" else service.reinstate
            return _member((await act(parsed, COMMAND_LINE, reason)).details)

        changed = run_unit_of_work(work)
        echo(changed, as_json, f"{changed['id']} is {changed['status']}")

    command.__doc__ = doc
    return click.command(name)(command)


member.add_command(
    _status_command(
        "suspend",
        "Suspend a member: its subsystems' traffic stops and their OAuth clients are disabled (app nodes "
        "notice within GOVHUB_OIDC_CACHE_SECONDS).",
    )
)
member.add_command(_status_command("reinstate", "Reinstate a suspended member."))


@member.group("admin")
def admin() -> None:
    """Platform administrators: the accounts that decide applications and suspend members."""


@admin.command("grant")
@click.option("--email", required=True, help="The account to make a platform administrator.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def grant(email: str, as_json: bool) -> None:
    """Make an account a platform administrator (safe to repeat)."""

    async def work(session: AsyncSession, _settings: Settings) -> tuple[str, bool]:
        return await grant_platform_admin(session, email, COMMAND_LINE)

    address, added = run_unit_of_work(work)
    text = f"{address} is {'now' if added else 'already'} a platform administrator"
    echo({"email": address, "platformAdmin": True, "added": added}, as_json, text)


@admin.command("revoke")
@click.option("--email", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def revoke(email: str, as_json: bool) -> None:
    """Stop an account being a platform administrator."""

    async def work(session: AsyncSession, _settings: Settings) -> str:
        return await revoke_platform_admin(session, email)

    address = run_unit_of_work(work)
    echo(
        {"email": address, "platformAdmin": False},
        as_json,
        f"{address} is no longer a platform administrator",
    )


@admin.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the administrators as JSON.")
def list_admins(as_json: bool) -> None:
    """List platform administrators."""

    async def work(session: AsyncSession, _settings: Settings) -> list[dict[str, str]]:
        return [
            {"email": email, "grantedBy": grant.granted_by, "grantedAt": grant.granted_at.isoformat()}
            for email, grant in await platform_admins(session)
        ]

    listed = run_unit_of_work(work)
    lines = [f"{a['email']}\tgranted by {a['grantedBy']} at {a['grantedAt']}" for a in listed]
    echo(listed, as_json, "\n".join(lines) or "no platform administrators yet")


@member.group("class")
def member_class_group() -> None:
    """Member classes per instance: govhub's own instance's are built in (GOV, NHS, COM, ORG); the other
    instances the network holds members of have the classes registered here, as X-Road's global
    configuration lists each instance's."""


@member_class_group.command("add")
@click.argument("instance")
@click.argument("member_class")
@click.option(
    "--kind",
    type=click.Choice(list(ORGANISATION_KINDS)),
    default="public-body",
    show_default=True,
    help="The identity organisation kind the class's members are.",
)
@click.option("--description", default="", help="Who the class's members are.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def add_class(instance: str, member_class: str, kind: str, description: str, as_json: bool) -> None:
    """Register MEMBER_CLASS for INSTANCE (safe to repeat)."""

    async def work(session: AsyncSession, settings: Settings) -> bool:
        return await add_member_class(
            session,
            settings.members_instance,
            instance,
            member_class,
            organisation_kind=kind,
            description=description,
            added_by=COMMAND_LINE.label,
        )

    added = run_unit_of_work(work)
    text = f"{instance} {'now has' if added else 'already has'} member class {member_class}"
    echo({"instance": instance, "memberClass": member_class, "added": added}, as_json, text)


@member_class_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the classes as JSON.")
def list_classes(as_json: bool) -> None:
    """List every instance's member classes, govhub's own first."""

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        return [
            {
                "instance": c.instance,
                "memberClass": c.member_class,
                "organisationKinds": list(c.organisation_kinds),
                "description": c.description,
            }
            for c in await member_classes(session, settings.members_instance)
        ]

    listed = run_unit_of_work(work)
    lines = [f"{c['instance']}\t{c['memberClass']}\t{'/'.join(c['organisationKinds'])}" for c in listed]
    echo(listed, as_json, "\n".join(lines))
