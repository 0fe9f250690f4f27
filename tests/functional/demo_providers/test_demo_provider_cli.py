"""`govhub demo-provider blue-badge`: says where it serves, which service it is and whether it answers only
through the gateway, then serves the provider app (uvicorn replaced here by a recorder)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI

from govhub.cli.main import cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def run(app: FastAPI, *, host: str, port: int) -> None:
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", run)
    return seen


def test_it_serves_the_provider_and_says_how(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["demo-provider", "blue-badge", "--port", "18099"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:18099/" in result.output
    assert "GOVHUB-DEV/NHS/RDEMO1/blue-badge/eligibility" in result.output
    assert "development mode" in result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 18099)
    assert isinstance(served["app"], FastAPI)


def test_production_mode_is_announced(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_DEMO_BLUE_BADGE_ENVIRONMENT", "production")
    result = CliRunner().invoke(cli, ["demo-provider", "blue-badge"])
    assert result.exit_code == 0, result.output
    assert "only through the gateway" in result.output
    assert served["port"] == 8002


def test_a_wrong_mode_is_refused(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_DEMO_BLUE_BADGE_ENVIRONMENT", "staging")
    result = CliRunner().invoke(cli, ["demo-provider", "blue-badge"])
    assert result.exit_code == 1
    assert "GOVHUB_DEMO_BLUE_BADGE_* settings are wrong" in result.output
    assert "environment" in result.output
    assert not served
