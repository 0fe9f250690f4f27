"""`govhub service ...` and `govhub access ...` on a migrated database of its own: a member's service
registered from its OpenAPI file, listed and shown with its endpoints, rights granted, listed and revoked,
`--json` everywhere; refusals say what is wrong and keep nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from govhub.cli.main import cli
from tests.functional.members.services_support import CLIENT, OPENAPI_FILE, PROVIDER, SERVICE, blue_badge
from tests.support.oidc import ClientKeys

RIGHT = ("--service", SERVICE, "--client", CLIENT)


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _json(runner: CliRunner, *args: str) -> Any:
    return json.loads(_ok(runner, *args, "--json"))


def _refused(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code != 0, result.output
    return result.output


def _members(runner: CliRunner, tmp_path: Path) -> None:
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(ClientKeys().jwks))
    for code, member_class, subsystem, name in (
        ("E10000099", "GOV", "parking", "Borsetshire County Council"),
        ("07654321", "COM", "orders", "Theirs Ltd"),
    ):
        application = _json(
            runner,
            "member",
            "apply",
            "--organisation-name",
            name,
            "--registration-number",
            code,
            "--class",
            member_class,
            "--contact-name",
            "Alex Clerk",
            "--contact-email",
            "alex@example.com",
            "--subsystem",
            subsystem,
            "--jwks",
            str(keys),
        )
        _ok(runner, "member", "approve", application["id"])


def test_an_operator_registers_a_service_and_manages_its_rights(runner: CliRunner, tmp_path: Path) -> None:
    _members(runner, tmp_path)
    register = ["service", "register", "--subsystem", PROVIDER, "--code", "eligibility"]
    registered = _json(
        runner, *register, "--base-url", "https://badges.example/api", "--openapi", str(OPENAPI_FILE)
    )
    assert registered["id"] == SERVICE
    assert registered["createdBy"] == "command line"
    assert [(e["method"], e["path"]) for e in registered["endpoints"]] == [
        ("POST", "/assessments"),
        ("GET", "/eligibility/{nhsNumber}"),
    ]
    assert [s["id"] for s in _json(runner, "service", "list", "--subsystem", PROVIDER)] == [SERVICE]
    assert _json(runner, "service", "list", "--subsystem", CLIENT) == []
    shown = _ok(runner, "service", "show", SERVICE)
    assert "GET     /eligibility/{nhsNumber}" in shown
    assert "https://badges.example/api" in shown

    endpoint = "GET /eligibility/{nhsNumber}"
    granted = _json(runner, "access", "grant", *RIGHT, "--endpoint", endpoint)
    assert (granted["client"], granted["endpoint"], granted["grantedBy"]) == (
        CLIENT,
        endpoint,
        "command line",
    )
    twice = _refused(runner, "access", "grant", *RIGHT, "--endpoint", endpoint)
    assert "already has the right" in twice
    assert f"{CLIENT} -> whole service" in _ok(runner, "access", "grant", *RIGHT)
    listed = _json(runner, "access", "list", "--service", SERVICE)
    assert [r["endpoint"] for r in listed] == [endpoint, None]

    revoked = _json(runner, "access", "revoke", *RIGHT, "--endpoint", endpoint)
    assert revoked["revokedAt"] is not None
    assert [r["endpoint"] for r in _json(runner, "access", "list", "--service", SERVICE)] == [None]
    history = _json(runner, "access", "list", "--service", SERVICE, "--history")
    assert [(r["endpoint"], r["revokedBy"]) for r in history] == [(endpoint, "command line"), (None, None)]

    version_2 = blue_badge()
    del version_2["paths"]["/assessments"]
    new_file = tmp_path / "v2.json"
    new_file.write_text(json.dumps(version_2))
    updated = _json(runner, "service", "update", SERVICE, "--openapi", str(new_file))
    assert [e["path"] for e in updated["service"]["endpoints"]] == ["/eligibility/{nhsNumber}"]
    assert _json(runner, "service", "disable", SERVICE)["disabled"] is True
    assert _json(runner, "service", "enable", SERVICE)["disabled"] is False


def test_refusals_say_what_is_wrong_and_keep_nothing(runner: CliRunner, tmp_path: Path) -> None:
    _members(runner, tmp_path)
    swagger = tmp_path / "swagger.yaml"
    swagger.write_text("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n")
    register = ["service", "register", "--subsystem", PROVIDER, "--code", "eligibility"]
    refused = _refused(runner, *register, "--base-url", "https://badges.example", "--openapi", str(swagger))
    assert "Swagger 2.0 documents are not accepted" in refused
    bad_url = _refused(runner, *register, "--base-url", "file:///etc/passwd", "--openapi", str(OPENAPI_FILE))
    assert "http:// or https://" in bad_url
    assert "There is no service" in _refused(runner, "service", "show", SERVICE)
    assert "it has 4 parts, not 5" in _refused(runner, "service", "show", PROVIDER)
    assert _json(runner, "service", "list") == []
    assert "There is no service" in _refused(runner, "access", "grant", *RIGHT)
