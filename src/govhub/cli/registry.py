"""`govhub registry ...`: define registers, grant access, and list them, on this deployment."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import load_settings, open_database, run_unit_of_work
from govhub.config import Settings
from govhub.kit.errors import GovhubError
from govhub.ledger import Keyring
from govhub.registries import (
    CLASSIFICATIONS,
    Caller,
    RegisterDefinition,
    RegistriesService,
    publish_on_exchange,
)

T = TypeVar("T")


def _local(settings: Settings, work: Callable[[RegistriesService], Awaitable[T]]) -> T:
    async def with_service(session: AsyncSession, settings: Settings) -> T:
        return await work(RegistriesService.for_session(session, settings))

    return run_unit_of_work(with_service, settings=settings, list_field_errors=False)


@click.group()
def registry() -> None:
    """Authoritative registers (GovStack Digital Registries)."""


@registry.command("list")
def list_registers() -> None:
    """List this deployment's registers."""
    registers = _local(load_settings(), lambda service: service.repository.registers())
    for register in registers:
        click.echo(
            f"{register.name}\t{register.classification}\t{register.entry_count} entries\t{register.title}"
        )
    if not registers:
        click.echo("no registers yet")


@registry.command()
@click.argument("name")
@click.option(
    "--schema", "schema_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--key-field", required=True, help="The field whose value identifies a record.")
@click.option("--version", "version", default="1", show_default=True)
@click.option("--title", default=None, help="Default: NAME.")
@click.option("--description", default="")
@click.option("--classification", type=click.Choice(CLASSIFICATIONS), default="open", show_default=True)
@click.option("--owner", required=True, help="The owning member, INSTANCE/CLASS/MEMBER.")
@click.option("--database-code", default=None, help="GovStack database code. Default: NAME upper-cased.")
@click.option("--subject-field", default=None, help="For personal registers: whom each record is about.")
@click.option("--new-version", is_flag=True, help="Add VERSION to an existing register instead.")
def create(
    *,
    name: str,
    schema_file: Path,
    key_field: str,
    version: str,
    title: str | None,
    description: str,
    classification: str,
    owner: str,
    database_code: str | None,
    subject_field: str | None,
    new_version: bool,
) -> None:
    """Define register NAME with the JSON Schema in --schema (or a new version of it)."""
    try:
        schema = json.loads(schema_file.read_text())
    except (ValueError, OSError) as error:
        raise click.ClickException(f"{schema_file} is not a JSON file: {error}") from None
    if not isinstance(schema, dict):
        raise click.ClickException(f"{schema_file} must hold a JSON Schema object")
    definition = RegisterDefinition(
        name=name,
        title=title or name,
        description=description,
        classification=classification,
        owner=owner,
        database_code=database_code or name.upper(),
        version=version,
        record_schema=schema,
        key_field=key_field,
        subject_field=subject_field,
    )

    async def work(service: RegistriesService) -> str:
        if new_version:
            await service.add_version(definition)
            return f"register {name} has a new version {version}"
        register = await service.define(definition)
        return (
            f"register {register.name} created ({classification}), version {version}, {register.ledger_name}"
        )

    click.echo(_local(load_settings(), work))


@registry.command()
@click.argument("name")
@click.argument("client")
def grant(name: str, client: str) -> None:
    """Let CLIENT (INSTANCE/CLASS/MEMBER or .../SUBSYSTEM) read and change register NAME."""
    _local(load_settings(), lambda service: service.grant(name, client))
    click.echo(f"{client} may now use register {name}")


@registry.command("publish-service")
def publish_service() -> None:
    """Register the registries in the exchange as a service of the platform's own member
    (INSTANCE/GOV/platform/registries/digitalregistries, at GOVHUB_PUBLIC_URL), so that members reach
    personal and restricted registers through the gateway (/r1/...). Safe to repeat: brings the base URL
    and the OpenAPI document up to date. Then give a member's subsystem its access right
    (`govhub access grant`) and the register's grant (`govhub registry grant`)."""

    async def work(session: AsyncSession, settings: Settings) -> str:
        return await publish_on_exchange(session, settings)

    click.echo(run_unit_of_work(work, list_field_errors=False))


def _batches(source: TextIO, size: int) -> Iterator[list[dict[str, Any]]]:
    """The records of a JSON Lines file, `size` at a time; a line that is not a JSON object stops it."""
    pending: list[dict[str, Any]] = []
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise click.ClickException(f"line {number} is not JSON: {error}") from None
        if not isinstance(record, dict):
            raise click.ClickException(f"line {number} is not a JSON object")
        pending.append(record)
        if len(pending) >= size:
            yield pending
            pending = []
    if pending:
        yield pending


async def _load(settings: Settings, name: str, version: str, batches: Iterable[list[dict[str, Any]]]) -> int:
    """Write each batch in its own unit of work, all through one engine, opened and checked once (per
    batch, that was 35 to 45 ms of a batch of 5,000's half second on PostgreSQL)."""
    database = await open_database(settings)
    keyring = Keyring(settings)
    loaded = 0
    try:
        for records in batches:
            async with database.sessions() as session, session.begin():
                service = RegistriesService.for_session(session, settings, keyring)
                register = await service.repository.register(name)
                owner = Caller(f"{register.owner}/govhub-cli" if register else None, "bulk load")
                opened = await service.open(name, version, owner, write=True)
                loaded += await service.create_many(opened, records)
            click.echo(f"{loaded} records loaded", err=True)
    finally:
        await database.dispose()
    return loaded


@registry.command()
@click.argument("name")
@click.argument("version")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--batch", default=5000, show_default=True, help="Records per transaction.")
def load(name: str, version: str, source: TextIO, batch: int) -> None:
    """Bulk-load records into register NAME, VERSION from SOURCE: JSON Lines, one record per line ('-' for
    standard input). Each batch is written whole or not at all, with one ledger append; the operator acts
    as the register's owner."""
    settings = load_settings()
    started = time.perf_counter()
    try:
        loaded = asyncio.run(_load(settings, name, version, _batches(source, batch)))
    except GovhubError as error:
        raise click.ClickException(error.detail) from None
    elapsed = time.perf_counter() - started
    rate = loaded / max(elapsed, 1e-9)
    click.echo(f"loaded {loaded} records into {name} {version} in {elapsed:.1f} s ({rate:,.0f}/s)")
