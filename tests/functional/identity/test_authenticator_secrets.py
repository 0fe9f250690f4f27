"""Authenticator secrets are sealed at rest (AES-GCM under a key from the settings' secret key), and the
operator's `govhub identity user create --totp-secret` still enrols a working app."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.main import cli
from govhub.config import Settings
from govhub.identity.accounts import totp
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.secret_box import SecretBox, SecretNotOpened
from govhub.identity.accounts.service import IdentityService, NewAccount
from tests.functional.identity.account_support import PASSWORD


async def test_the_secret_is_stored_sealed_and_checked_opened(
    session: AsyncSession, settings: Settings
) -> None:
    secret = totp.new_secret()
    service = IdentityService.for_session(session, settings)
    account = await service.create_account(NewAccount("sealed@example.org", PASSWORD, secret))
    stored = await session.scalar(select(Account.totp_secret).where(Account.id == account.id))
    assert stored is not None
    assert stored.startswith("v1.")
    assert secret not in stored
    assert service.totp_secret_of(account) == secret
    assert await service.claim_code(account, totp.totp(secret))


async def test_a_sealed_secret_opens_only_for_its_account_and_key(settings: Settings) -> None:
    box = SecretBox(settings)
    sealed = box.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "account-a")
    assert box.open(sealed, "account-a") == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with pytest.raises(SecretNotOpened):
        box.open(sealed, "account-b")  # copied to another account's row
    other_key = SecretBox(
        settings.model_copy(update={"secret_key": SecretStr("another-secret-key-of-enough-length")})
    )
    with pytest.raises(SecretNotOpened):
        other_key.open(sealed, "account-a")
    with pytest.raises(SecretNotOpened):
        box.open("JBSWY3DPEHPK3PXP", "account-a")  # a bare secret from before sealing


async def test_a_very_long_secret_is_refused(session: AsyncSession, settings: Settings) -> None:
    from govhub.identity.accounts.errors import InvalidAccount  # noqa: PLC0415

    with pytest.raises(InvalidAccount, match="at most 64"):
        await IdentityService.for_session(session, settings).create_account(
            NewAccount("long@example.org", PASSWORD, "A" * 65)
        )


def test_the_operator_enrols_a_given_secret(runner: CliRunner) -> None:
    secret = "GOVHUBOPERATORTESTSECRETAAAAAAAA"
    made = runner.invoke(
        cli,
        [
            "identity",
            "user",
            "create",
            "--email",
            "op@example.org",
            "--totp-secret",
            secret,
            "--verified",
            "--json",
        ],
        input=f"{PASSWORD}\n",
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output[made.output.index("{") :])["totp"] is True


async def test_a_code_is_claimed_once_in_the_database(session: AsyncSession, settings: Settings) -> None:
    secret = totp.new_secret()
    service = IdentityService.for_session(session, settings)
    account = await service.create_account(NewAccount("race@example.org", PASSWORD, secret))
    await session.flush()
    moment = 1_800_000_000.0
    code = totp.totp(secret, moment)
    assert await service.claim_code(account, code, moment)
    assert account.totp_last_step == int(moment // 30)
    # `claim_code` asks the database, not the row as this request read it: a second request racing with
    # the same code finds the step taken.
    assert not await service.claim_code(account, code, moment)
    assert not await service.claim_code(account, "000000", moment)
