"""The `govhub` command against a real database of the backend under test."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from govhub.app import create_app
from govhub.cli.main import cli
from govhub.config import ConfigurationError
from govhub.db import migration_heads
from tests.conftest import make_settings
from tests.support.keys import TEST_LEDGER_KEY

#: Every address of the machine: beyond loopback.
WILDCARD = "0.0.0.0"  # noqa: S104 (what the refusal is about)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, blank_database_url: str, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("GOVHUB_DATABASE_URL", blank_database_url)
    # `demo load` writes the council's subsystem key and the trust's records: here, not in the checkout.
    monkeypatch.setenv("GOVHUB_DEMO_SERVICE_SUBSYSTEM_KEY_FILE", str(tmp_path / "subsystem-key.json"))
    monkeypatch.setenv("GOVHUB_DEMO_BLUE_BADGE_RECORDS_FILE", str(tmp_path / "records.json"))
    monkeypatch.setenv("GOVHUB_LOG_FORMAT", "text")
    return CliRunner()


def test_db_upgrade_then_current(runner: CliRunner) -> None:
    before = runner.invoke(cli, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert "no migrations applied" in before.output

    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    [head] = migration_heads()
    assert f"database at {head}" in upgraded.output

    after = runner.invoke(cli, ["db", "current"])
    assert after.output.strip() == f"{head} (head)"

    again = runner.invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0


def test_demo_load_is_idempotent(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    # The demo provider is on loopback, which the outbound-address guard refuses unless allowed.
    refused = runner.invoke(cli, ["demo", "load"])
    assert refused.exit_code == 1, refused.output
    assert "127.0.0.1 is a loopback address" in refused.output
    assert "GOVHUB_GATEWAY_ALLOWED_NETWORKS" in refused.output
    monkeypatch.setenv("GOVHUB_GATEWAY_ALLOWED_NETWORKS", '["127.0.0.0/8", "::1/128"]')
    first = runner.invoke(cli, ["demo", "load"])
    second = runner.invoke(cli, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output


def test_invalid_settings_are_named(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_BRAND_COLOUR", "#ffff00")
    result = runner.invoke(cli, ["db", "current"])
    assert result.exit_code == 1
    assert "GOVHUB_BRAND_COLOUR" in result.output
    assert "contrast" in result.output


def test_serve_refuses_production_with_development_secrets(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVHUB_ENVIRONMENT", "production")
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "production mode refuses to start" in result.output
    assert "GOVHUB_SECRET_KEY" in result.output


def test_serve_refuses_production_while_migrations_are_behind(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVHUB_ENVIRONMENT", "production")
    monkeypatch.setenv("GOVHUB_SECRET_KEY", "p" * 40)
    monkeypatch.setenv("GOVHUB_LEDGER_SIGNING_KEY", TEST_LEDGER_KEY.get_secret_value())
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "schema is behind" in result.output
    assert "govhub db upgrade" in result.output


async def test_the_app_itself_refuses_production_while_migrations_are_behind(blank_database_url: str) -> None:
    settings = make_settings(
        blank_database_url,
        environment="production",
        secret_key=SecretStr("p" * 40),
        public_url="https://x.example",
        ledger_signing_key=TEST_LEDGER_KEY,
    )
    app = create_app(settings)
    with pytest.raises(ConfigurationError, match="schema is behind"):
        async with app.router.lifespan_context(app):
            pass


async def test_development_serves_with_a_warning_while_migrations_are_behind(blank_database_url: str) -> None:
    app = create_app(make_settings(blank_database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503


def test_serve_refuses_the_development_key_on_every_address_when_the_environment_is_unset(
    runner: CliRunner,
) -> None:
    result = runner.invoke(cli, ["serve", "--host", WILDCARD])
    assert result.exit_code == 1
    assert "govhub refuses to start" in result.output
    assert "GOVHUB_ENVIRONMENT is not set" in result.output
    assert f"would listen on {WILDCARD}" in result.output


def test_create_app_refuses_the_development_key_at_a_public_address(blank_database_url: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape("is reached at https://x.example")):
        create_app(make_settings(blank_database_url, public_url="https://x.example"))
