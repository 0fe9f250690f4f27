"""`govhub identity ...`: accounts made by an operator (test users, migrations), without the web journey."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import run_unit_of_work
from govhub.config import Settings
from govhub.identity import (
    IDENTITY_LEVELS,
    IdentityService,
    NewAccount,
    new_totp_secret,
    totp_provisioning_uri,
)
from govhub.identity.accounts.models import Account

T = TypeVar("T")
ISSUER = "govhub"


def _local(work: Callable[[IdentityService], Awaitable[T]]) -> T:
    async def with_service(session: AsyncSession, settings: Settings) -> T:
        # The settings' secret key seals authenticator secrets at rest.
        return await work(IdentityService.for_session(session, settings))

    return run_unit_of_work(with_service, list_field_errors=False)


def _described(account: Account) -> dict[str, Any]:
    return {
        "email": account.email,
        "publicId": account.public_id,
        "identityLevel": account.identity_level,
        "emailVerified": account.email_verified_at is not None,
        "totp": account.totp_secret is not None,
        "createdAt": account.created_at.isoformat(),
    }


@click.group()
def identity() -> None:
    """Digital identity: accounts."""


@identity.group()
def user() -> None:
    """Accounts of citizens and business representatives."""


@user.command("create")
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    help="Asked for when not given (an option shows in the process list).",
)
@click.option("--totp-secret", default=None, help="Base32. Enrols this authenticator secret.")
@click.option("--new-totp", is_flag=True, help="Make a TOTP secret and print it with its otpauth:// URI.")
@click.option("--identity-level", type=click.Choice(IDENTITY_LEVELS), default="P0", show_default=True)
@click.option("--verified", is_flag=True, help="Mark the email address as verified.")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
def create_user(  # noqa: PLR0917 (a click command: one parameter per option)
    email: str,
    password: str,
    totp_secret: str | None,
    new_totp: bool,
    identity_level: str,
    verified: bool,
    as_json: bool,
) -> None:
    """Create an account."""
    if totp_secret and new_totp:
        raise click.UsageError("Give --totp-secret or --new-totp, not both.")
    secret = new_totp_secret() if new_totp else totp_secret
    new = NewAccount(email, password, secret, identity_level, email_verified=verified)
    account = _local(lambda service: service.create_account(new))
    described = _described(account)
    if new_totp and secret is not None:
        described["totpSecret"] = secret
        described["otpauthUri"] = totp_provisioning_uri(secret, account.email, ISSUER)
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"account {account.email} created ({account.identity_level}), id {account.public_id}")
    if "totpSecret" in described:
        click.echo(f"TOTP secret {described['totpSecret']}\n{described['otpauthUri']}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
def list_users(as_json: bool) -> None:
    """List accounts."""
    accounts = [_described(account) for account in _local(lambda service: service.repository.accounts())]
    if as_json:
        click.echo(json.dumps(accounts, indent=2))
        return
    for account in accounts:
        flags = ", ".join(
            f for f, on in (("verified", account["emailVerified"]), ("TOTP", account["totp"])) if on
        )
        click.echo(f"{account['email']}\t{account['identityLevel']}\t{flags or '-'}\t{account['publicId']}")
    if not accounts:
        click.echo("no accounts yet")


# Business representatives: `govhub identity organisation ...`, `govhub identity user link|unlink`.
from govhub.cli import identity_organisations  # noqa: E402

identity.add_command(identity_organisations.organisation)
user.add_command(identity_organisations.link_user)
user.add_command(identity_organisations.unlink_user)

# The OpenID Connect provider: `govhub identity client ...`, `govhub identity keys ...`.
from govhub.cli import identity_clients  # noqa: E402

identity.add_command(identity_clients.client)
identity.add_command(identity_clients.keys)

# Back-channel logout delivery: `govhub identity deliver-logouts`.
from govhub.cli import identity_logout  # noqa: E402

identity.add_command(identity_logout.deliver_logouts)
