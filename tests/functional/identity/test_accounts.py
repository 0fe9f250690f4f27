"""Accounts on the backend under test: made by the service and by `govhub identity user create`, passwords
and one-time codes checked."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.main import cli
from govhub.config import Settings
from govhub.identity import demo
from govhub.identity.accounts import passwords, totp
from govhub.identity.accounts.errors import AccountExists, InvalidAccount
from govhub.identity.accounts.service import IdentityService, NewAccount
from tests.support.identity import check_password

PASSWORD = "correct horse battery staple"


async def test_an_account_is_made_and_its_password_checked(session: AsyncSession, settings: Settings) -> None:
    service = IdentityService.for_session(session, settings)
    account = await service.create_account(
        NewAccount("  Ann.Archer@Example.ORG ", PASSWORD, identity_level="P2")
    )
    assert account.email == "ann.archer@example.org"
    assert account.password_hash.startswith("$argon2id$")
    assert account.email_verified_at is None
    assert await check_password(service, "ANN.ARCHER@example.org", PASSWORD) is account
    assert await check_password(service, "ann.archer@example.org", PASSWORD + "!") is None
    assert await check_password(service, "nobody@example.org", PASSWORD) is None
    with pytest.raises(AccountExists):
        await service.create_account(NewAccount("ann.archer@EXAMPLE.org", PASSWORD))


async def test_bad_details_are_all_named(session: AsyncSession, settings: Settings) -> None:
    service = IdentityService.for_session(session, settings)
    with pytest.raises(InvalidAccount) as raised:
        await service.create_account(NewAccount("not an address", "short", "!!", identity_level="P9"))
    assert [error.name for error in raised.value.field_errors] == [
        "/password",
        "/email",
        "/totpSecret",
        "/identityLevel",
    ]


async def test_an_old_hash_is_replaced_at_sign_in(session: AsyncSession, settings: Settings) -> None:
    from argon2 import PasswordHasher  # noqa: PLC0415

    service = IdentityService.for_session(session, settings)
    account = await service.create_account(NewAccount("old@example.org", PASSWORD))
    account.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert await check_password(service, "old@example.org", PASSWORD) is account
    assert not passwords.needs_rehash(account.password_hash)


async def test_a_one_time_code_is_accepted_once(session: AsyncSession, settings: Settings) -> None:
    secret = totp.new_secret()
    service = IdentityService.for_session(session, settings)
    account = await service.create_account(NewAccount("code@example.org", PASSWORD, secret))
    moment = 1_800_000_000.0
    code = totp.totp(secret, moment)
    assert await service.claim_code(account, code, moment)
    assert not await service.claim_code(account, code, moment)  # replayed
    assert not await service.claim_code(
        account, code, moment + 30
    )  # still in the window: replayed all the same
    assert await service.claim_code(account, totp.totp(secret, moment + 30), moment + 30)
    no_app = await service.create_account(NewAccount("noapp@example.org", PASSWORD))
    assert not await service.claim_code(no_app, code, moment)


def test_operators_create_and_list_accounts_from_the_command_line(runner: CliRunner) -> None:
    made = runner.invoke(
        cli,
        [
            "identity",
            "user",
            "create",
            "--email",
            "citizen@example.org",
            "--new-totp",
            "--identity-level",
            "P2",
            "--verified",
            "--json",
        ],
        input=f"{PASSWORD}\n",
    )
    assert made.exit_code == 0, made.output
    account = json.loads(made.output[made.output.index("{") :])
    assert account["identityLevel"] == "P2"
    assert account["emailVerified"] is True
    assert totp.secret_problems(account["totpSecret"]) == []
    assert account["otpauthUri"].startswith("otpauth://totp/govhub%3Acitizen%40example.org?secret=")
    assert "Password:" in made.output  # asked for, not shown

    again = runner.invoke(
        cli, ["identity", "user", "create", "--email", "CITIZEN@example.org", "--password", PASSWORD]
    )
    assert again.exit_code == 1
    assert "There is already an account for citizen@example.org" in again.output
    weak = runner.invoke(cli, ["identity", "user", "create", "--email", "b@example.org", "--password", "x"])
    assert weak.exit_code == 1
    assert "at least 15 characters" in weak.output

    listed = runner.invoke(cli, ["identity", "user", "list", "--json"])
    assert [entry["email"] for entry in json.loads(listed.output)] == ["citizen@example.org"]
    text = runner.invoke(cli, ["identity", "user", "list"])
    assert "citizen@example.org\tP2\tverified, TOTP\t" in text.output


async def test_the_demo_accounts_sign_in_and_load_once(session: AsyncSession, settings: Settings) -> None:
    first = await demo.load(session, settings)
    again = await demo.load(session, settings)
    assert first.startswith(("2 demo accounts added (0 already there)", "0 demo"))
    assert again.startswith("0 demo accounts added (2 already there)")
    assert demo.DEMO_TOTP_SECRET in first
    service = IdentityService.for_session(session, settings)
    citizen = await check_password(service, "citizen@example.org", demo.DEMO_PASSWORD)
    assert citizen is not None
    assert citizen.identity_level == "P2"
    assert await service.claim_code(citizen, totp.totp(demo.DEMO_TOTP_SECRET))
