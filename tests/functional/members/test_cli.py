"""`govhub member ...` on a migrated database of its own: the whole onboarding without a browser (apply
with a JWKS file, approve, reject, list, show, suspend, reinstate), platform administrators, `--json`
everywhere, and refusals that say what is wrong and keep nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from govhub.cli.main import cli
from tests.support.oidc import ClientKeys

PASSWORD = "correct horse battery staple"


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _json(runner: CliRunner, *args: str) -> Any:
    return json.loads(_ok(runner, *args, "--json"))


def _apply_args(jwks: Path, **overrides: str) -> list[str]:
    options = {
        "--organisation-name": "Borsetshire County Council",
        "--registration-number": "E10000099",
        "--class": "GOV",
        "--contact-name": "Alex Clerk",
        "--contact-email": "alex@borsetshire.example",
        "--subsystem": "parking",
        "--jwks": str(jwks),
        **overrides,
    }
    return ["member", "apply", *[part for pair in options.items() for part in pair]]


def test_an_operator_onboards_and_suspends_a_member_from_the_command_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(ClientKeys().jwks))

    application = _json(runner, *_apply_args(keys))
    assert (application["status"], application["memberId"]) == ("pending", "GOVHUB-DEV/GOV/E10000099")
    assert "pending" in _ok(runner, *_apply_args(keys, **{"--member-code": "other"}))
    listed = _json(runner, "member", "applications", "--status", "pending")
    assert {a["memberId"] for a in listed} == {"GOVHUB-DEV/GOV/E10000099", "GOVHUB-DEV/GOV/other"}
    assert _json(runner, "member", "show", application["id"]) == application

    member = _json(runner, "member", "approve", application["id"], "--note", "Checked by phone")
    assert member["id"] == "GOVHUB-DEV/GOV/E10000099"
    assert member["subsystems"][0]["clientId"] == "GOVHUB-DEV.GOV.E10000099.parking"
    decided = _json(runner, "member", "show", application["id"])
    assert (decided["status"], decided["decidedBy"], decided["reason"]) == (
        "approved",
        "command line",
        "Checked by phone",
    )
    # The subsystem's OAuth client is registered with the provider.
    clients = _json(runner, "identity", "client", "list")
    [registered] = [c for c in clients if c["clientId"] == "GOVHUB-DEV.GOV.E10000099.parking"]
    assert registered["grantTypes"] == ["client_credentials"]
    assert registered["allowedScopes"] == ["govhub:exchange"]
    assert registered["tokenEndpointAuthMethod"] == "private_key_jwt"

    other = next(a for a in listed if a["memberId"] == "GOVHUB-DEV/GOV/other")
    rejected = _json(runner, "member", "reject", other["id"], "--reason", "The same council twice")
    assert (rejected["status"], rejected["reason"]) == ("rejected", "The same council twice")

    assert [m["id"] for m in _json(runner, "member", "list")] == ["GOVHUB-DEV/GOV/E10000099"]
    assert "GOVHUB-DEV/GOV/E10000099\tactive\tBorsetshire County Council\tparking" in _ok(
        runner, "member", "list"
    )
    suspended = _json(runner, "member", "suspend", "GOVHUB-DEV/GOV/E10000099", "--reason", "Audit")
    assert (suspended["status"], suspended["suspensionReason"]) == ("suspended", "Audit")
    assert _json(runner, "identity", "client", "list")[0]["disabledAt"] is not None
    shown = _json(runner, "member", "show", "GOVHUB-DEV/GOV/E10000099/parking")
    assert shown["status"] == "suspended"
    reinstated = _json(runner, "member", "reinstate", "GOVHUB-DEV/GOV/E10000099", "--reason", "Passed")
    assert [h["status"] for h in reinstated["history"]] == ["suspended", "active"]
    text = _ok(runner, "member", "show", "GOVHUB-DEV/GOV/E10000099")
    assert "subsystem GOVHUB-DEV/GOV/E10000099/parking: client GOVHUB-DEV.GOV.E10000099.parking" in text


def test_refusals_say_what_is_wrong_and_keep_nothing(runner: CliRunner, tmp_path: Path) -> None:
    not_json = tmp_path / "key.pem"
    not_json.write_text("-----BEGIN PUBLIC KEY-----")
    refused = runner.invoke(cli, _apply_args(not_json))
    assert refused.exit_code == 2
    assert "the public key is not JSON" in refused.output
    missing = runner.invoke(cli, _apply_args(tmp_path / "nowhere.json"))
    assert missing.exit_code == 2

    private = tmp_path / "private.json"
    private.write_text(json.dumps(ClientKeys().key.as_dict(private=True)))
    refused = runner.invoke(cli, _apply_args(private, **{"--subsystem": "bad code"}))
    assert refused.exit_code == 1
    assert "Invalid application:" in refused.output
    assert "  - subsystemCode: the subsystem code 'bad code' may use only" in refused.output
    assert "  - jwks: key 0 contains private key material" in refused.output
    assert "no applications" in _ok(runner, "member", "applications")

    for args, message in [
        (["member", "approve", "00000000-0000-4000-8000-000000000000"], "There is no application"),
        (["member", "reject", "nope", "--reason", "x"], "There is no application 'nope'"),
        (["member", "show", "GOVHUB-DEV/GOV/nobody"], "There is no member GOVHUB-DEV/GOV/nobody"),
        (["member", "show", "GOVHUB-DEV/XYZ/1"], "There is no member GOVHUB-DEV/XYZ/1"),
        (["member", "show", "GOVHUB-DEV/X.Z/1"], "The member class 'X.Z' may use only"),
        (["member", "suspend", "GOVHUB-DEV/GOV/nobody", "--reason", "x"], "There is no member"),
    ]:
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    bad_id = runner.invoke(cli, ["member", "suspend", "not-an-id", "--reason", "x"])
    assert bad_id.exit_code == 2
    assert "is not INSTANCE/CLASS/MEMBER" in bad_id.output
    no_reason = runner.invoke(cli, ["member", "suspend", "GOVHUB-DEV/GOV/1"])
    assert no_reason.exit_code == 2
    assert "no members yet" in _ok(runner, "member", "list")


def test_platform_administrators_are_granted_listed_and_revoked(runner: CliRunner) -> None:
    unknown = runner.invoke(cli, ["member", "admin", "grant", "--email", "nobody@example.org"])
    assert unknown.exit_code == 1
    assert "There is no account for nobody@example.org" in unknown.output
    _ok(runner, "identity", "user", "create", "--email", "admin@example.org", "--password", PASSWORD)

    granted = _json(runner, "member", "admin", "grant", "--email", "Admin@Example.org")
    assert granted == {"email": "admin@example.org", "platformAdmin": True, "added": True}
    again = _ok(runner, "member", "admin", "grant", "--email", "admin@example.org")
    assert "admin@example.org is already a platform administrator" in again
    [listed] = _json(runner, "member", "admin", "list")
    assert (listed["email"], listed["grantedBy"]) == ("admin@example.org", "command line")

    revoked = _json(runner, "member", "admin", "revoke", "--email", "admin@example.org")
    assert revoked == {"email": "admin@example.org", "platformAdmin": False}
    twice = runner.invoke(cli, ["member", "admin", "revoke", "--email", "admin@example.org"])
    assert twice.exit_code == 1
    assert "is not a platform administrator" in twice.output
    assert "no platform administrators yet" in _ok(runner, "member", "admin", "list")
