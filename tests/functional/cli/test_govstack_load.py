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
    # The directory's services answer at the platform's public URL, on loopback here, as under `make run`.
    monkeypatch.setenv("GOVHUB_GATEWAY_ALLOWED_NETWORKS", '["127.0.0.0/8"]')
    return CliRunner()


DIRECTORY = [
    ("identifier/identifier/alp4aNum3r1c", "alp4aNum3r1c/alp4aNum3r1c"),
    ("a11a11a11a/asd2211a/12as12", "m3mb3rc0d3/alp4aNum3r1c"),
    ("a552example/zzz321a/m3mb3rc0d3", "aa15/alp4aNum3r1c"),
    ("valid1dentifi3r/rand0mid3nt/str1ng", "azxcv55/alp4aNum3r1c"),
]


def _directory_lines(member_state: str, service_state: str) -> list[str]:
    return [
        line
        for member, service in DIRECTORY
        for line in (
            f"Information Mediator: member {member} {member_state}",
            f"Information Mediator: service {member}/{service} {service_state}",
        )
    ]


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
        *_directory_lines("added", "registered"),
    ]
    second = runner.invoke(cli, ["govstack", "load"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        "Digital Registries: register registryname: 0 records added, 23 already there",
        "Digital Registries: register registryempty: there, with no records",
        "Digital Registries: databases: 0 added, 10 already there",
        *_directory_lines("there", "there"),
    ]


def test_govstack_load_keeps_nothing_when_the_directory_part_is_refused(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    monkeypatch.delenv("GOVHUB_GATEWAY_ALLOWED_NETWORKS")
    refused = runner.invoke(cli, ["govstack", "load"])
    assert refused.exit_code == 1
    assert "127.0.0.1 is a loopback address" in refused.output
    # One unit of work: the registries part, which ran first, was rolled back with it.
    listed = runner.invoke(cli, ["registry", "list"])
    assert listed.exit_code == 0, listed.output
    assert "registryname" not in listed.output


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


def test_govstack_load_names_a_directory_file_that_is_not_scenario_data(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    broken = tmp_path / "im-test-data.json"
    broken.write_text("{not json")
    refused = runner.invoke(cli, ["govstack", "load", "--directory-data", str(broken)])
    assert refused.exit_code == 1
    assert str(broken) in refused.output
    broken.write_text(json.dumps({"members": []}))
    refused = runner.invoke(cli, ["govstack", "load", "--directory-data", str(broken)])
    assert refused.exit_code == 1
    assert 'a list "data" of members' in refused.output
