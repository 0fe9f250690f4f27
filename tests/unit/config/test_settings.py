from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from govhub.config import (
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    Environment,
    Settings,
    contrast_with_white,
)
from tests.support.keys import TEST_LEDGER_KEY


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
