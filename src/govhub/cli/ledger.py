"""`govhub ledger ...`: make and append to ledgers on this deployment, and audit any live ledger."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

import click
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import load_settings, run_unit_of_work
from govhub.config import Settings
from govhub.ledger import (
    AuditFailed,
    AuditReport,
    LedgerService,
    NoteError,
    NoteSigner,
    NoteVerifier,
    audit,
    check_storage,
    key_name,
    open_ledger_checkpoint,
    rotate_development_key,
)

T = TypeVar("T")


def _local(settings: Settings, work: Callable[[LedgerService], Awaitable[T]]) -> T:
    """Run `work` against this deployment's database in one unit of work; ledger errors become messages."""

    async def with_service(session: AsyncSession, settings: Settings) -> T:
        return await work(LedgerService.for_session(session, settings))

    return run_unit_of_work(with_service, settings=settings, list_field_errors=False)


@click.group()
def ledger() -> None:
    """Verifiable ledgers: RFC 9162 Merkle logs with signed checkpoints."""


@ledger.command("list")
def list_ledgers() -> None:
    """List this deployment's ledgers with their sizes."""
    heads = _local(load_settings(), lambda service: service.heads())
    for head in heads:
        click.echo(f"{head.name}\t{head.size}")
    if not heads:
        click.echo("no ledgers yet")


@ledger.command()
@click.argument("name")
def create(name: str) -> None:
    """Make an empty ledger called NAME on this deployment."""
    head = _local(load_settings(), lambda service: service.create(name))
    click.echo(f"ledger {head.name} created, origin {head.origin}")


def _lines(files: tuple[BinaryIO, ...]) -> Iterator[bytes]:
    for file in files:
        for line in file:
            yield line.rstrip(b"\r\n")


@ledger.command()
@click.argument("name")
@click.argument("files", nargs=-1, type=click.File("rb"))
@click.option("--batch", default=1000, show_default=True, help="Leaves per transaction.")
def append(name: str, files: tuple[BinaryIO, ...], batch: int) -> None:
    """Append each line of FILES (or standard input) to ledger NAME as one leaf."""
    settings = load_settings()
    sources = files or (sys.stdin.buffer,)
    pending: list[bytes] = []
    appended = 0

    def flush() -> None:
        nonlocal appended
        if pending:
            result = _local(settings, lambda service: service.append(name, list(pending)))
            appended += len(pending)
            click.echo(f"appended {len(pending)} leaves from index {result.first_index}; size {result.size}")
            pending.clear()

    for leaf in _lines(sources):
        pending.append(leaf)
        if len(pending) >= batch:
            flush()
    flush()
    if not appended:
        raise click.ClickException("nothing to append: the input had no lines")


@ledger.command()
@click.argument("name")
def fsck(name: str) -> None:
    """Recompute every stored hash of ledger NAME from the database and name any that do not match."""

    async def work(service: LedgerService) -> tuple[int, list[str]]:
        head = await service.head(name)
        return head.size, await check_storage(service.repository, head)

    size, findings = _local(load_settings(), work)
    if findings:
        for finding in findings:
            click.echo(f"MISMATCH {finding}", err=True)
        raise click.ClickException(f"ledger {name} is damaged: {len(findings)} finding(s) above")
    click.echo(f"ledger {name}: all stored hashes of its {size} entries check out")


@ledger.command()
@click.argument("name", required=False)
def keygen(name: str | None) -> None:
    """Make a new checkpoint signing key for GOVHUB_LEDGER_SIGNING_KEY (NAME defaults to HOST/ledger)."""
    signer = NoteSigner.generate(name or key_name(load_settings()))
    click.echo(f"GOVHUB_LEDGER_SIGNING_KEY={signer.private_key()}")
    click.echo(f"verifier key: {signer.verifier_key()}")


@ledger.command("rotate-key")
def rotate_key() -> None:
    """Development only: sign with a new key from now on; old keys stay published. Restart app nodes after."""
    settings = load_settings()
    if settings.ledger_signing_key.get_secret_value():
        raise click.ClickException("the signing key comes from GOVHUB_LEDGER_SIGNING_KEY: rotate it there")
    signer = _local(settings, lambda service: rotate_development_key(settings, service.repository))
    click.echo(f"new verifier key: {signer.verifier_key()}")


def _client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30, headers={"accept": "application/json"})


@ledger.command()
@click.argument("name")
@click.option("--url", required=True, help="The govhub deployment, e.g. http://127.0.0.1:8000")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default: NAME.checkpoint"
)
@click.option(
    "--key", "keys", multiple=True, help="Verifier key to trust (default: the one the server publishes)."
)
def checkpoint(name: str, url: str, output: Path | None, keys: tuple[str, ...]) -> None:
    """Save ledger NAME's signed checkpoint, after checking its signature, for a later `verify --since`."""

    async def fetch() -> tuple[str, list[str]]:
        async with _client(url) as client:
            published = (await client.get(f"/ledgers/{name}/key")).raise_for_status().text.strip()
            signed = (await client.get(f"/ledgers/{name}/checkpoint")).raise_for_status().text
            return signed, list(keys) or [published]

    try:
        signed, vkeys = asyncio.run(fetch())
        verifiers = [NoteVerifier.from_verifier_key(key) for key in vkeys]
        cp, _signers = open_ledger_checkpoint(signed, verifiers, f"/ledgers/{name}")
    except (httpx.HTTPError, NoteError, AuditFailed) as error:
        raise click.ClickException(f"could not get a valid checkpoint: {error}") from None
    destination = output or Path(f"{name}.checkpoint")
    destination.write_text(signed)
    click.echo(f"saved checkpoint of {name} at size {cp.size} to {destination}")


@ledger.command()
@click.argument("name")
@click.option("--url", required=True, help="The govhub deployment, e.g. http://127.0.0.1:8000")
@click.option(
    "--since", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A saved checkpoint."
)
@click.option(
    "--key", "keys", multiple=True, help="Verifier key to trust (default: the one the server publishes)."
)
def verify(name: str, url: str, since: Path | None, keys: tuple[str, ...]) -> None:
    """Audit live ledger NAME end to end: every entry, the root, the signature, proofs, and --since."""
    saved = since.read_text() if since else None

    async def run() -> AuditReport:
        async with _client(url) as client:
            return await audit(
                client,
                name,
                trusted_keys=list(keys) or None,
                since=saved,
                progress=lambda m: click.echo(m, err=True),
            )

    try:
        report = asyncio.run(run())
    except AuditFailed as error:
        raise click.ClickException(f"ledger {name} FAILED verification: {error}") from None
    except httpx.HTTPError as error:
        raise click.ClickException(f"could not reach {url}: {error}") from None
    click.echo(report.summary())
    click.echo("OK")
