"""`govhub govstack load`: GovStack's conformance scenario data on a blank database, safe to repeat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govhub.cli.main import cli


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, blank_database_url: str) -> CliRunner:
    monkeypatch.setenv("GOVHUB_DATABASE_URL", blank_database_url)
    monkeypatch.setenv("GOVHUB_LOG_FORMAT", "text")
    return CliRunner()


def test_govstack_load_loads_the_scenario_data_once(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(cli, ["govstack", "load"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "Digital Registries: register registryname: 23 records added, 0 already there",
        "Digital Registries: register registryempty: there, with no records",
        # On a blank database the scenario's own register came first: its version was shown as 1, and
        # registryempty's as 2.
        (
            "Digital Registries: databases: 10 added, 0 already there; shown under another id now: "
            "database 1 (register registryname version 111) is now 3"
        ),
    ]
    second = runner.invoke(cli, ["govstack", "load"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        "Digital Registries: register registryname: 0 records added, 23 already there",
        "Digital Registries: register registryempty: there, with no records",
        "Digital Registries: databases: 0 added, 10 already there",
    ]


def test_govstack_load_names_a_file_that_is_not_scenario_data(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    broken = tmp_path / "test-data.json"
    broken.write_text(json.dumps({"databases": []}))
    refused = runner.invoke(cli, ["govstack", "load", "--registries-data", str(broken)])
    assert refused.exit_code == 1
    assert "no `registries` object" in refused.output
    broken.write_text("{not json")
    assert runner.invoke(cli, ["govstack", "load", "--registries-data", str(broken)]).exit_code == 1
    missing = runner.invoke(cli, ["govstack", "load", "--registries-data", str(tmp_path / "nowhere.json")])
    assert missing.exit_code == 2
