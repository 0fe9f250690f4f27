"""Open data: anyone may download a whole open register, as CSV or JSON, and its entry stream with the exact
ledger leaves and the signed checkpoint they add up to, so a downloader can check the register without
trusting this server. Everything is streamed from the database in chunks of `CHUNK`: a register of a
million records is never held in memory.

The access check (`RegistriesService.open_public`, through the `open` chokepoint) runs in the request's
unit of work before a byte is sent, so unknown and personal registers get a proper 404 or 403 problem. The
body is then read in a session of its own, since the request's session is closed once the handler returns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from govhub.config import Settings
from govhub.db import Database
from govhub.dependencies import AppDatabase, AppSettings
from govhub.kit.access import PUBLIC
from govhub.kit.clock import iso_utc
from govhub.kit.encoding import b64
from govhub.kit.problems import PROBLEM_JSON
from govhub.kit.routing import api_router
from govhub.ledger import Keyring, LedgerService, keyring_of
from govhub.registries.caller import Caller
from govhub.registries.dependencies import Registries
from govhub.registries.service import MAX_PAGE_SIZE, Opened, RegistriesService

#: Records or entries read per database round trip while streaming.
CHUNK = MAX_PAGE_SIZE
ANONYMOUS = Caller(None, "open data download")

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The register is personal or restricted: only granted members read its records, "
        "through the data API.",
        "content": {PROBLEM_JSON: {}},
    },
    404: {"description": "No such register.", "content": {PROBLEM_JSON: {}}},
}

router = api_router(tags=["registries"], dependencies=[PUBLIC], responses=_PROBLEMS)


# --- helpers shared with the pages ------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A field's value as one line of text: strings as they are, nothing as empty, anything else
    (numbers, booleans, objects, arrays) as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def leaves(ledgers: LedgerService, ledger: str, indexes: Iterable[int]) -> dict[int, bytes]:
    """The exact leaf bytes at `indexes` of ledger `ledger`, read a page at a time."""
    wanted = set(indexes)
    found: dict[int, bytes] = {}
    if not wanted:
        return found
    start: int | None = min(wanted)
    while start is not None:
        page = await ledgers.entries(ledger, start, max(wanted))
        found.update({entry.index: entry.leaf for entry in page.entries if entry.index in wanted})
        start = page.next_start
    return found


def verify_command(ledger: str, public_url: str) -> str:
    return f"govhub ledger verify {ledger} --url {public_url}"


# --- a session for the body --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readers:
    """What a streamed body needs to read the register in a session of its own."""

    database: Database
    settings: Settings
    keyring: Keyring

    @asynccontextmanager
    async def service(self) -> AsyncIterator[RegistriesService]:
        async with self.database.sessions() as session:
            yield RegistriesService.for_session(session, self.settings, self.keyring)


async def _readers(
    database: AppDatabase, settings: AppSettings, keyring: Annotated[Keyring, Depends(keyring_of)]
) -> Readers:
    return Readers(database, settings, keyring)


ReadersDep = Annotated[Readers, Depends(_readers)]


async def _record_chunks(
    registries: RegistriesService, opened: Opened
) -> AsyncIterator[list[dict[str, Any]]]:
    after: str | None = None
    while True:
        rows = await registries.records_chunk(opened, ANONYMOUS, after_key=after, limit=CHUNK)
        if not rows:
            return
        yield [row.content for row in rows]
        after = rows[-1].record_key


# --- documentation of the streamed bodies ------------------------------------------------------------------


class RegisterDownload(BaseModel):
    # `register` would shadow a BaseModel attribute, so the field takes it as its alias.
    name: str = Field(alias="register", examples=["country"])
    title: str
    version: str = Field(description="The register's newest schema version.")
    records: list[dict[str, Any]] = Field(description="Every current record, in key order.")


class EntryDownload(BaseModel):
    number: int = Field(description="The entry's number in the register, from 1.")
    kind: str = Field(description="`create`, `update` or `delete`.")
    key: str
    version: str = Field(description="The schema version the entry was written with.")
    content: dict[str, Any] | None = Field(description="The record after the change; null for a delete.")
    content_hash: str = Field(description="SHA-256 of the canonical JSON of `content`, hex.")
    timestamp: str
    ledger_index: int
    leaf: str = Field(description="The exact bytes of the entry's ledger leaf, base64.")


class EntryStream(BaseModel):
    name: str = Field(alias="register", examples=["country"])
    ledger: str = Field(description="The register's ledger, e.g. `register-country`.")
    checkpoint: str = Field(
        description="The ledger's signed checkpoint (C2SP signed note) the entries add up to."
    )
    tree_size: int = Field(description="The checkpoint's tree size: the entries are its first leaves.")
    verifier_key: str = Field(description="Where to get the key that checks the checkpoint's signature.")
    verify: str = Field(description="The command that audits the same ledger end to end.")
    entries: list[EntryDownload]


# --- routes -------------------------------------------------------------------------------------------------


@router.get(
    "/registers/{name}/download.csv",
    summary="Download an open register as CSV",
    description="Every current record, in key order, one row each. The columns are the union of the "
    "fields of the register's schema versions and of its records; strings are as they are, other values "
    "(numbers, booleans, objects, arrays) are JSON text, and a missing value is an empty cell.",
    response_class=StreamingResponse,
    responses={200: {"description": "RFC 4180 CSV, UTF-8.", "content": {"text/csv": {}}}},
)
async def download_csv(name: str, registries: Registries, readers: ReadersDep) -> StreamingResponse:
    await registries.open_public(name)

    async def body() -> AsyncIterator[str]:
        async with readers.service() as reader:
            opened = await reader.open_public(name)
            fields = await reader.record_fields(opened)
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(fields)
            async for chunk in _record_chunks(reader, opened):
                writer.writerows([cell_text(record.get(field)) for field in fields] for record in chunk)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/registers/{name}/download.json",
    summary="Download an open register as JSON",
    description="Every current record, in key order, with the register's name and newest version.",
    response_model=None,
    responses={200: {"model": RegisterDownload}},
)
async def download_json(name: str, registries: Registries, readers: ReadersDep) -> StreamingResponse:
    await registries.open_public(name)

    async def body() -> AsyncIterator[str]:
        async with readers.service() as reader:
            opened = await reader.open_public(name)
            yield (
                f'{{"register":{json.dumps(name)},"title":{json.dumps(opened.register.title)},'
                f'"version":{json.dumps(opened.version.version)},"records":['
            )
            separator = ""
            async for chunk in _record_chunks(reader, opened):
                yield separator + ",".join(json.dumps(record, ensure_ascii=False) for record in chunk)
                separator = ","
            yield "]}"

    return StreamingResponse(
        body(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


@router.get(
    "/registers/{name}/entries.json",
    summary="An open register's entries, with their ledger leaves and signed checkpoint",
    description="Every entry of the register in order (each change to a record), each with the exact bytes "
    "of its leaf in the register's ledger, and the ledger's signed checkpoint. The entries are the first "
    "`tree_size` leaves of the ledger, so the RFC 9162 Merkle root of the leaves must equal the "
    "checkpoint's root; check the checkpoint's signature with the key at `verifier_key`. "
    "`govhub ledger verify register-<name> --url ...` audits the same ledger end to end.",
    response_model=None,
    responses={200: {"model": EntryStream}},
)
async def entries_json(
    name: str, registries: Registries, readers: ReadersDep, settings: AppSettings
) -> StreamingResponse:
    await registries.open_public(name)

    async def body() -> AsyncIterator[str]:
        async with readers.service() as reader:
            opened = await reader.open_public(name)
            _register, versions = await reader.describe(name)
            version_names = {version.id: version.version for version in versions}
            ledger = opened.register.ledger_name
            # The checkpoint first: the entries streamed are exactly the leaves it covers.
            ledger_head, checkpoint = await reader.ledgers.signed_head(ledger)
            tree_size = ledger_head.size
            head = {
                "register": name,
                "ledger": ledger,
                "checkpoint": checkpoint,
                "tree_size": tree_size,
                "verifier_key": f"{settings.public_url}/ledgers/{ledger}/key",
                "verify": verify_command(ledger, settings.public_url),
            }
            yield json.dumps(head, ensure_ascii=False)[:-1] + ',"entries":['
            after, separator = 0, ""
            while True:
                chunk = await reader.entries_chunk(
                    opened, after_number=after, limit=CHUNK, tree_size=tree_size
                )
                if not chunk:
                    break
                leaf_bytes = await leaves(reader.ledgers, ledger, [entry.ledger_index for entry in chunk])
                items = [
                    {
                        "number": entry.number,
                        "kind": entry.kind,
                        "key": entry.record_key,
                        "version": version_names.get(entry.version_id, ""),
                        "content": entry.content,
                        "content_hash": entry.content_hash,
                        "timestamp": iso_utc(entry.recorded_at),
                        "ledger_index": entry.ledger_index,
                        "leaf": b64(leaf_bytes[entry.ledger_index]),
                    }
                    for entry in chunk
                ]
                yield separator + ",".join(json.dumps(item, ensure_ascii=False) for item in items)
                separator = ","
                after = chunk[-1].number
            yield "]}"

    return StreamingResponse(body(), media_type="application/json")
