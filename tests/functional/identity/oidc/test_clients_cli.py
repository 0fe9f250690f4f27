"""`govhub identity client create|list` and `govhub identity keys rotate|list`, each with `--json`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from govhub.cli.main import cli
from tests.support.oidc import ClientKeys


def test_an_operator_registers_a_service_with_its_keys(runner: CliRunner, tmp_path: Path) -> None:
    keys_file = tmp_path / "jwks.json"
    keys_file.write_text(json.dumps(ClientKeys().jwks))
    made = runner.invoke(
        cli,
        [
            "identity", "client", "create",
            "--name", "Resident parking permits", "--organisation", "Testshire Council",
            "--client-id", "parking", "--redirect-uri", "https://parking.example.org/callback",
            "--jwks", str(keys_file), "--scope", "openid", "--scope", "email", "--level", "Cl.Cm", "--json",
        ],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    described = json.loads(made.output)
    assert described["clientId"] == "parking"
    assert described["allowedLevels"] == ["Cl.Cm"]
    assert "clientSecret" not in described

    listed = runner.invoke(cli, ["identity", "client", "list", "--json"])
    assert [c["clientId"] for c in json.loads(listed.output)] == ["parking"]
    plain = runner.invoke(cli, ["identity", "client", "list"])
    assert "parking\tResident parking permits" in plain.output

    disabled = runner.invoke(cli, ["identity", "client", "disable", "parking", "--json"])
    assert disabled.exit_code == 0, disabled.output
    assert json.loads(disabled.output)["disabledAt"] is not None
    assert "disabled" in runner.invoke(cli, ["identity", "client", "list"]).output
    assert runner.invoke(cli, ["identity", "client", "disable", "nobody"]).exit_code == 1


def test_the_first_admin_client_is_made_with_a_secret_shown_once(runner: CliRunner) -> None:
    made = runner.invoke(
        cli,
        [
            "identity", "client", "create", "--name", "Operators", "--organisation", "govhub",
            "--grant-type", "client_credentials", "--scope", "govhub:identity-admin",
            "--auth-method", "client_secret_post",
        ],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "client secret (shown once" in made.output


def test_a_bad_registration_says_what_to_fix(runner: CliRunner) -> None:
    made = runner.invoke(
        cli,
        [
            "identity", "client", "create", "--name", "Bad", "--organisation", "Bad Ltd",
            "--redirect-uri", "http://evil.example/cb",
        ],
    )  # fmt: skip
    assert made.exit_code == 1
    assert "must use https" in made.output
    assert "private_key_jwt needs the client's public keys" in made.output


def test_keys_are_listed_and_rotated(runner: CliRunner) -> None:
    assert "no keys yet" in runner.invoke(cli, ["identity", "keys", "list"]).output
    first = json.loads(runner.invoke(cli, ["identity", "keys", "rotate", "--json"]).output)
    second = json.loads(runner.invoke(cli, ["identity", "keys", "rotate", "--json"]).output)
    # The first key signs at once (nothing to replace); a rotation's key waits to be fetched first.
    assert first["state"] == "published"
    assert second["state"] == "next"

    listed = {
        k["kid"]: k for k in json.loads(runner.invoke(cli, ["identity", "keys", "list", "--json"]).output)
    }

    assert set(listed) == {first["kid"], second["kid"]}
    assert listed[second["kid"]]["state"] == "next"
    assert listed[first["kid"]]["retiredAt"] is not None


def test_a_leaked_key_is_retired_at_once(runner: CliRunner) -> None:
    first = json.loads(runner.invoke(cli, ["identity", "keys", "rotate", "--json"]).output)
    retired = runner.invoke(cli, ["identity", "keys", "retire", first["kid"], "--json"])
    assert retired.exit_code == 0, retired.output
    assert json.loads(retired.output)["state"] == "retired"
    unknown = runner.invoke(cli, ["identity", "keys", "retire", "no-such-kid"])
    assert unknown.exit_code == 1
    assert "there is no key" in unknown.output
