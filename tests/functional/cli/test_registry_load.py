"""`govhub registry load`: JSON Lines into a register in batches, each written whole (its records, its
entries, its leaves in the register's ledger, which then checks out) or not at all, through one engine."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from govhub.cli.main import cli

SCHEMA = {
    "type": "object",
    "properties": {
        "urn": {"type": "string"},
        "name": {"type": "string"},
        "phase": {"type": "string", "x-govhub-indexed": True},
    },
    "required": ["urn", "name"],
}


def _define(runner: CliRunner, tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    made = runner.invoke(
        cli,
        [
            "registry",
            "create",
            "schools",
            "--schema",
            str(schema),
            "--key-field",
            "urn",
            "--owner",
            "GB/GOV/DfE",
        ],
    )
    assert made.exit_code == 0, made.output


def _lines(path: Path, numbers: range, *extra: str) -> Path:
    records = [json.dumps({"urn": f"{n:04d}", "name": f"School\t{n}", "phase": "primary"}) for n in numbers]
    path.write_text("\n".join([*records, *extra]) + "\n")
    return path


def test_every_batch_is_written_with_its_entries_and_ledger_leaves(runner: CliRunner, tmp_path: Path) -> None:
    _define(runner, tmp_path)
    # Batches of 20 (on PostgreSQL by COPY) and a last one of 5 (an INSERT).
    loaded = runner.invoke(
        cli,
        ["registry", "load", "schools", "1", str(_lines(tmp_path / "a.jsonl", range(45))), "--batch", "20"],
    )
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 45 records into schools 1" in loaded.output
    listed = runner.invoke(cli, ["registry", "list"])
    assert "schools\topen\t45 entries" in listed.output
    checked = runner.invoke(cli, ["ledger", "fsck", "register-schools"])
    assert checked.exit_code == 0, checked.output
    assert "all stored hashes of its 45 entries check out" in checked.output


def test_a_bad_batch_stops_the_load_and_the_batches_before_it_stay(runner: CliRunner, tmp_path: Path) -> None:
    _define(runner, tmp_path)
    repeated = _lines(tmp_path / "repeated.jsonl", range(30), json.dumps({"urn": "0003", "name": "again"}))
    refused = runner.invoke(cli, ["registry", "load", "schools", "1", str(repeated), "--batch", "20"])
    assert refused.exit_code == 1
    assert "1 key(s) already exist or repeat, e.g. ['0003']" in refused.output
    assert "schools\topen\t20 entries" in runner.invoke(cli, ["registry", "list"]).output
    broken = _lines(tmp_path / "broken.jsonl", range(100, 125), "{not json")
    refused = runner.invoke(cli, ["registry", "load", "schools", "1", str(broken), "--batch", "20"])
    assert refused.exit_code == 1
    assert "line 26 is not JSON" in refused.output
    assert "schools\topen\t40 entries" in runner.invoke(cli, ["registry", "list"]).output
    assert runner.invoke(cli, ["ledger", "fsck", "register-schools"]).exit_code == 0
