from __future__ import annotations

import re

import pytest
from pydantic import SecretStr, ValidationError

from govhub.app import create_app
from govhub.config import (
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    Environment,
    Settings,
    contrast_with_white,
)
from tests.support.keys import TEST_LEDGER_KEY

#: Every address of the machine: beyond loopback.
WILDCARD = "0.0.0.0"  # noqa: S104 (what the refusal is about)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_defaults_run_on_sqlite_under_var() -> None:
    defaults = settings()
    assert defaults.database_url == "sqlite:///var/govhub.db"
    assert defaults.is_sqlite
    assert defaults.environment is Environment.DEVELOPMENT


def test_settings_come_from_govhub_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_DATABASE_URL", "postgresql://db.internal/govhub")
    monkeypatch.setenv("GOVHUB_BRAND_NAME", "Borsetshire Online")
    loaded = settings()
    assert loaded.database_url == "postgresql://db.internal/govhub"
    assert loaded.brand_name == "Borsetshire Online"
    assert not loaded.is_sqlite


def test_production_refuses_the_development_secret_and_names_it() -> None:
    production = settings(environment="production", public_url="https://gov.example")
    with pytest.raises(ConfigurationError) as refused:
        production.check_can_start()
    assert "GOVHUB_SECRET_KEY is the development key" in str(refused.value)


def test_production_names_every_problem_at_once() -> None:
    production = settings(
        environment="production", secret_key=SecretStr("short"), public_url="http://gov.example"
    )
    problems = production.production_problems()
    assert len(problems) == 3
    assert any("shorter than 32" in problem for problem in problems)
    assert any("GOVHUB_LEDGER_SIGNING_KEY is not set" in problem for problem in problems)
    assert any("https" in problem for problem in problems)


def test_production_starts_with_real_secrets() -> None:
    production = settings(
        environment="production",
        secret_key=SecretStr("s" * 48),
        public_url="https://gov.example",
        ledger_signing_key=TEST_LEDGER_KEY,
    )
    production.check_can_start()
    assert production.production_problems() == []


def test_development_tolerates_development_keys() -> None:
    development = settings(secret_key=SecretStr(DEVELOPMENT_SECRET_KEY))
    development.check_can_start()
    assert development.production_problems()  # it would not pass in production


def test_brand_colour_must_keep_white_header_text_readable() -> None:
    with pytest.raises(ValidationError, match="contrast"):
        settings(brand_colour="#ffdd00")
    with pytest.raises(ValidationError, match="#rrggbb"):
        settings(brand_colour="blue")
    assert settings(brand_colour="#0B0C0C").brand_colour == "#0b0c0c"


def test_contrast_matches_wcag_reference_values() -> None:
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    # GOV.UK blue #1d70b8 is documented as 5.17:1 on white.
    assert contrast_with_white("#1d70b8") == pytest.approx(5.17, abs=0.01)


def test_a_malformed_ledger_key_is_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="not a signed-note private key"):
        settings(ledger_signing_key=SecretStr("PRIVATE+KEY+nonsense"))


# --- an unset environment never serves the development key beyond loopback (issue 14) --------------------


@pytest.mark.parametrize("host", [WILDCARD, "::", "", "10.1.2.3", "govhub.internal", "127.0.0.1.nip.io"])
def test_an_unset_environment_refuses_to_listen_beyond_loopback_with_the_development_key(host: str) -> None:
    unset = settings()
    assert unset.environment is Environment.DEVELOPMENT
    with pytest.raises(ConfigurationError) as refused:
        unset.check_can_serve(host)
    message = str(refused.value)
    assert "GOVHUB_ENVIRONMENT is not set" in message
    assert "development secret key" in message
    assert "GOVHUB_SECRET_KEY" in message
    assert "GOVHUB_ENVIRONMENT=production" in message


@pytest.mark.parametrize(
    "public_url", ["https://gov.example", "http://192.168.1.20:8000", "http://127.0.0.1.evil.example/"]
)
def test_a_public_url_beyond_loopback_is_refused_with_the_development_key(public_url: str) -> None:
    with pytest.raises(ConfigurationError, match="is reached at"):
        settings(public_url=public_url).check_can_serve()
    # So is the test environment: only production is exempt, and it has checks of its own.
    with pytest.raises(ConfigurationError, match="runs as test"):
        settings(environment="test", public_url=public_url).check_can_serve()


def test_the_host_setting_is_what_the_app_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_HOST", WILDCARD)
    with pytest.raises(ConfigurationError, match=re.escape(f"would listen on {WILDCARD}")):
        settings().check_can_serve()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_serves_with_the_development_key(host: str) -> None:
    settings(public_url="http://localhost:8000").check_can_serve(host)


def test_beyond_loopback_serves_outside_production_with_a_secret_of_its_own() -> None:
    own = settings(
        secret_key=SecretStr("a secret only this deployment knows"), public_url="https://x.example"
    )
    own.check_can_serve(WILDCARD)


def test_commands_that_do_not_serve_are_not_refused() -> None:
    settings(public_url="https://gov.example").check_can_start()


def test_the_app_itself_refuses_the_development_key_beyond_loopback() -> None:
    """`govhub serve --workers N` has each worker make its app from the environment: so `create_app`
    checks too."""
    with pytest.raises(ConfigurationError, match=re.escape(f"would listen on {WILDCARD}")):
        create_app(settings(host=WILDCARD))
