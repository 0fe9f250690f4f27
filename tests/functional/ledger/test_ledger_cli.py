"""`govhub ledger ...` end to end: against a real server for the auditor's commands, and several processes
appending to one ledger at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select, text

from govhub.app import create_app
from govhub.cli.main import cli
from govhub.db import create_sync_engine
from govhub.ledger.models import LedgerLeaf, LedgerLog
from govhub.ledger.note import NoteSigner
from govhub.ledger.verify import root_of_leaves
from tests.conftest import make_settings
from tests.support.live_server import serve_in_thread


@pytest.fixture
def server(migrated_url: str) -> Iterator[str]:
    with serve_in_thread(create_app(make_settings(migrated_url))) as url:
        yield url


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> str:  # noqa: A002 (click's name)
    result = runner.invoke(cli, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_create_append_list_and_fsck(runner: CliRunner) -> None:
    assert "ledger land created, origin 127.0.0.1:8000/ledgers/land" in invoke(
        runner, "ledger", "create", "land"
    )
    out = invoke(runner, "ledger", "append", "land", "--batch", "4", input="a\nb\nc\nd\ne\n")
    assert "appended 4 leaves from index 0; size 4" in out
    assert "appended 1 leaves from index 4; size 5" in out
    assert "land\t5" in invoke(runner, "ledger", "list")
    assert "all stored hashes of its 5 entries check out" in invoke(runner, "ledger", "fsck", "land")


def test_cli_errors_are_messages_not_tracebacks(runner: CliRunner) -> None:
    for args, message in [
        (["ledger", "create", "Not A Name"], "is not a ledger name"),
        (["ledger", "append", "missing"], "There is no ledger called 'missing'"),
        (["ledger", "fsck", "missing"], "There is no ledger called 'missing'"),
    ]:
        result = runner.invoke(cli, args, input="x\n")
        assert result.exit_code == 1, result.output
        assert message in result.output
        assert "Traceback" not in result.output
    invoke(runner, "ledger", "create", "twice")
    again = runner.invoke(cli, ["ledger", "create", "twice"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_keygen_makes_a_key_production_accepts(runner: CliRunner, migrated_url: str) -> None:
    out = invoke(runner, "ledger", "keygen", "gov.example/ledger")
    private = out.splitlines()[0].removeprefix("GOVHUB_LEDGER_SIGNING_KEY=")
    assert private.startswith("PRIVATE+KEY+gov.example/ledger+")
    production = make_settings(
        migrated_url,
        environment="production",
        secret_key=SecretStr("s" * 40),
        public_url="https://gov.example",
        ledger_signing_key=SecretStr(private),
    )
    assert production.production_problems() == []
    verifier = out.splitlines()[1].removeprefix("verifier key: ")
    assert verifier == NoteSigner.from_private_key(private).verifier_key()


def test_verify_a_live_ledger_then_catch_tampering(
    runner: CliRunner, server: str, migrated_url: str, tmp_path: Path
) -> None:
    invoke(runner, "ledger", "create", "audited")
    invoke(runner, "ledger", "append", "audited", input="".join(f"record {i}\n" for i in range(40)))
    saved = tmp_path / "audited.checkpoint"
    out = invoke(runner, "ledger", "checkpoint", "audited", "--url", server, "--output", str(saved))
    assert "at size 40" in out
    invoke(runner, "ledger", "append", "audited", input="".join(f"later {i}\n" for i in range(25)))

    report = invoke(runner, "ledger", "verify", "audited", "--url", server, "--since", str(saved))
    assert "ledger audited: 65 entries" in report
    assert "consistent with the saved checkpoint of size 40" in report
    assert report.rstrip().endswith("OK")

    engine = create_sync_engine(migrated_url)
    with engine.begin() as connection:
        log_id = connection.scalar(select(LedgerLog.id).where(LedgerLog.name == "audited"))
        connection.execute(
            text("UPDATE ledger_nodes SET hash = :forged WHERE log_id = :log AND level = 3 AND idx = 2"),
            {"forged": b"\x01" * 32, "log": log_id},
        )
    engine.dispose()

    failed = runner.invoke(cli, ["ledger", "verify", "audited", "--url", server, "--since", str(saved)])
    assert failed.exit_code == 1
    assert "ledger audited FAILED verification" in failed.output
    fsck = runner.invoke(cli, ["ledger", "fsck", "audited"])
    assert fsck.exit_code == 1
    assert "MISMATCH node level 3, index 2: not the hash of its two children" in fsck.output


def test_verify_reports_an_unreachable_server(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["ledger", "verify", "x", "--url", "http://127.0.0.1:1"])
    assert result.exit_code == 1
    assert "could not reach http://127.0.0.1:1" in result.output


def test_concurrent_appends_from_several_processes(
    runner: CliRunner, migrated_url: str, tmp_path: Path
) -> None:
    """Three processes append 100 leaves each in batches of 5, all at once; no gaps, no duplicates."""
    invoke(runner, "ledger", "create", "shared")
    writers = []
    for writer in range(3):
        source = tmp_path / f"writer-{writer}.txt"
        source.write_text("".join(f"writer {writer} line {i}\n" for i in range(100)))
        writers.append(
            subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
                [sys.executable, "-m", "govhub", "ledger", "append", "shared", str(source), "--batch", "5"],
                env={
                    "GOVHUB_DATABASE_URL": migrated_url,
                    "GOVHUB_LOG_FORMAT": "text",
                    "PATH": "/usr/bin:/bin",
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    for process in writers:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output.decode()

    engine = create_sync_engine(migrated_url)
    with engine.connect() as connection:
        log = connection.execute(
            select(LedgerLog.id, LedgerLog.size, LedgerLog.root_hash).where(LedgerLog.name == "shared")
        ).one()
        rows = connection.execute(
            select(LedgerLeaf.idx, LedgerLeaf.data)
            .where(LedgerLeaf.log_id == log.id)
            .order_by(LedgerLeaf.idx)
        ).all()
    engine.dispose()
    assert log.size == 300
    assert [row.idx for row in rows] == list(range(300))
    leaves = [row.data for row in rows]
    assert sorted(leaves) == sorted(f"writer {w} line {i}".encode() for w in range(3) for i in range(100))
    for writer in range(3):  # each writer's own lines kept their order
        mine = [leaf for leaf in leaves if leaf.startswith(f"writer {writer} ".encode())]
        assert mine == [f"writer {writer} line {i}".encode() for i in range(100)]
    assert log.root_hash == root_of_leaves(leaves)
    assert "all stored hashes of its 300 entries check out" in invoke(runner, "ledger", "fsck", "shared")
