"""Registries benchmark: bulk load (records with their ledger appends), HTTP create and read by key as a
ratio to `/healthz` (and the bare point read of `SELECT 1` beside them, for the ceiling one round trip sets),
and search on a large register, all on SQLite (or `--database-url`).

    .venv/bin/python -m benchmarks.registries [--bulk 50000] [--search-size 200000] [--requests 1000]

References in the same run: the ledger alone appending the same number of leaves in the same batches
(what the register adds on top of its ledger), and `GET /healthz` through the same in-process client.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from alembic import command

from govhub.app import create_app
from govhub.config import Environment, Settings
from govhub.db import Database, alembic_config
from govhub.ledger import Keyring, LedgerService
from govhub.registries import Caller, RegisterDefinition, RegistriesService
from govhub.registries.repository import RegistriesRepository

OWNER = "bench/GOV/owner"
HEADERS = {"Information-Mediator-Client": f"{OWNER}/bench"}
PHASES = ["nursery", "primary", "secondary", "all-through", "sixth form"]
BATCH = 5000
AUTHORITIES = 350


def _definition(name: str) -> RegisterDefinition:
    return RegisterDefinition(
        name=name,
        title=name,
        description="benchmark register",
        classification="open",
        owner=OWNER,
        database_code=name.upper(),
        version="1",
        record_schema={
            "type": "object",
            "properties": {
                "urn": {"type": "string"},
                "name": {"type": "string"},
                # Indexed: a field people filter a register by. `phase` has five values (a fifth of
                # the register each), `authority` about 350 (a few thousand records each).
                "phase": {"type": "string", "enum": PHASES, "x-govhub-indexed": True},
                "authority": {"type": "string", "x-govhub-indexed": True},
                "pupils": {"type": "integer", "minimum": 0},
            },
            "required": ["urn", "name", "phase"],
        },
        key_field="urn",
    )


def _record(number: int) -> dict[str, Any]:
    return {
        "urn": f"{number:08d}",
        "name": f"School {number}",
        "phase": PHASES[number % 5],
        "authority": f"E{number % AUTHORITIES:08d}",
        "pupils": number % 900,
    }


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Bench:
    def __init__(self, url: str) -> None:
        # The in-process client comes from 127.0.0.1, trusted as an X-Road security server in front of
        # govhub (as `make run` does), so the owner's header is believed for its writes and reads.
        self.settings = Settings(
            _env_file=None,
            environment=Environment.TEST,
            database_url=url,
            log_level="WARNING",
            registries_trusted_mediators=["127.0.0.0/8"],
        )
        self.database = Database(self.settings)
        self.keyring = Keyring(self.settings)

    async def unit(self, work: Any) -> Any:
        async with self.database.sessions() as session, session.begin():
            ledgers = LedgerService.for_session(session, self.settings, self.keyring)
            return await work(RegistriesService(RegistriesRepository(session), ledgers), ledgers)

    async def bulk_load(self, name: str, total: int, offset: int = 0) -> float:
        await self.unit(lambda registries, _ledgers: registries.define(_definition(name)))
        started = time.perf_counter()
        for start in range(0, total, BATCH):
            records = [_record(offset + n) for n in range(start, min(start + BATCH, total))]

            async def write(
                registries: RegistriesService, _ledgers: LedgerService, records: Any = records
            ) -> int:
                opened = await registries.open(
                    name, "1", Caller(HEADERS["Information-Mediator-Client"]), write=True
                )
                return await registries.create_many(opened, records)

            await self.unit(write)
        return total / (time.perf_counter() - started)

    async def ledger_only(self, total: int) -> float:
        await self.unit(lambda _registries, ledgers: ledgers.create("bench-reference"))
        started = time.perf_counter()
        for start in range(0, total, BATCH):
            leaves = [f"{n:08d}".encode().ljust(160, b".") for n in range(start, min(start + BATCH, total))]
            await self.unit(lambda _r, ledgers, leaves=leaves: ledgers.append("bench-reference", leaves))
        return total / (time.perf_counter() - started)


async def _http(bench: Bench, name: str, size: int, requests: int) -> None:
    app = create_app(bench.settings)
    transport = httpx.ASGITransport(app=app)
    rng = random.Random(4)  # noqa: S311 (reproducible sampling, not secrets)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
        started = time.perf_counter()
        for n in range(requests):
            body = {"write": {"content": _record(10_000_000 + n)}}
            assert (await client.post(f"/data/{name}/1/create", json=body)).status_code == 200
        create_rate = requests / (time.perf_counter() - started)
        reads: list[float] = []
        health: list[float] = []
        bare: list[float] = []
        point_reads = app.state.database.point_reads
        for _ in range(requests):
            query = {"query": {"content": {"urn": f"{rng.randrange(size):08d}"}}}
            began = time.perf_counter()
            assert (await client.post(f"/data/{name}/1/read", json=query)).status_code == 200
            reads.append(time.perf_counter() - began)
            began = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            health.append(time.perf_counter() - began)
            began = time.perf_counter()
            assert await point_reads.one("SELECT 1", {}) == (1,)
            bare.append(time.perf_counter() - began)
        concurrent = await _concurrent_rates(client, name, size, requests)
    await app.state.database.dispose()
    read_rate, health_rate = len(reads) / sum(reads), len(health) / sum(health)
    print(f"  HTTP create, one at a time:          {create_rate:9,.0f} records/s")
    read_p50, health_p50 = _percentile(reads, 0.5) * 1e3, _percentile(health, 0.5) * 1e3
    print(f"  HTTP read by key, one at a time:     {read_rate:9,.0f} req/s   p50 {read_p50:.2f} ms")
    print(f"  GET /healthz (reference):            {health_rate:9,.0f} req/s   p50 {health_p50:.2f} ms")
    print(f"  ratio read / healthz (req/s):        {read_rate / health_rate:9.2f}   target >= 0.5")
    # What a route would reach whose only work beyond /healthz's were one round trip to the database: the
    # bare point reader's `SELECT 1`, no HTTP, timed in the same loop.
    bare_mean, bare_p50 = sum(bare) / len(bare), _percentile(bare, 0.5) * 1e3
    ceiling = (sum(health) / len(health)) / (sum(health) / len(health) + bare_mean)
    print(f"  bare point read (SELECT 1), no HTTP: p50 {bare_p50:.3f} ms;", end=" ")
    print(f"/healthz plus it: ratio {ceiling:.2f}")
    read_many, health_many = concurrent
    print(f"  {CONCURRENCY} at a time: read {read_many:,.0f} req/s,", end=" ")
    print(f"/healthz {health_many:,.0f} req/s, ratio {read_many / health_many:.2f}")


CONCURRENCY = 8


async def _concurrent_rates(
    client: httpx.AsyncClient, name: str, size: int, requests: int
) -> tuple[float, float]:
    """Requests/s with CONCURRENCY requests in flight: one worker's throughput, where a database round
    trip overlaps other requests' work. Read and /healthz alternate in rounds, to share the machine's
    noise."""
    rng = random.Random(6)  # noqa: S311 (reproducible sampling, not secrets)
    elapsed = {"read": 0.0, "healthz": 0.0}

    async def worker(kind: str, count: int) -> None:
        for _ in range(count):
            if kind == "read":
                query = {"query": {"content": {"urn": f"{rng.randrange(size):08d}"}}}
                assert (await client.post(f"/data/{name}/1/read", json=query)).status_code == 200
            else:
                assert (await client.get("/healthz")).status_code == 200

    rounds, per_worker = 4, max(1, requests // (4 * CONCURRENCY))
    for _ in range(rounds):
        for kind in ("read", "healthz"):
            began = time.perf_counter()
            await asyncio.gather(*(worker(kind, per_worker) for _ in range(CONCURRENCY)))
            elapsed[kind] += time.perf_counter() - began
    total = rounds * per_worker * CONCURRENCY
    return total / elapsed["read"], total / elapsed["healthz"]


async def _search(bench: Bench, name: str, size: int, count: int) -> None:
    rng = random.Random(5)  # noqa: S311 (reproducible sampling, not secrets)
    kinds: dict[str, list[float]] = {}
    for _ in range(count):
        cases = [
            ("key (query.urn)", {"urn": f"{rng.randrange(size):08d}"}, None),
            (
                "indexed, 350 values (query.authority)",
                {"authority": f"E{rng.randrange(AUTHORITIES):08d}"},
                None,
            ),
            ("indexed, 5 values (query.phase)", {"phase": rng.choice(PHASES)}, None),
            ("not indexed (query.pupils)", {"pupils": str(rng.randrange(900))}, None),
            ("text search, all fields", {}, f"school {rng.randrange(size)}"),
            # Words many records hold: the page is quick, the count reads every match.
            ("text, a fifth match (search=primary)", {}, "primary"),
            ("text, every record matches (search=school)", {}, "school"),
        ]
        for label, equals, text in cases:

            async def run(
                registries: RegistriesService, _l: LedgerService, e: Any = equals, t: Any = text
            ) -> None:
                opened = await registries.open(name, "1", Caller(None))
                await registries.search(
                    opened,
                    Caller(None),
                    text=t,
                    text_field=None,
                    equals=e,
                    ordering=None,
                    page=1,
                    page_size=10,
                )

            began = time.perf_counter()
            await bench.unit(run)
            kinds.setdefault(label, []).append(time.perf_counter() - began)
    print(f"  search on {size:,} records, {count} each, in process:")
    for label, samples in kinds.items():
        p50, p95 = _percentile(samples, 0.5) * 1e3, _percentile(samples, 0.95) * 1e3
        print(f"    {label:<40} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")


async def main(arguments: argparse.Namespace, url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    bench = Bench(url)
    try:
        reference = await bench.ledger_only(arguments.bulk)
        rate = await bench.bulk_load("bulk", arguments.bulk)
        print(f"  bulk load, {BATCH:,} records per transaction: {rate:9,.0f} records/s (target 10,000)")
        print(f"  reference, the ledger alone, same batches: {reference:9,.0f} leaves/s", end="   ")
        print(f"ratio {rate / reference:.2f}")
        await _http(bench, "bulk", arguments.bulk, arguments.requests)
        if arguments.search_size:
            started = time.perf_counter()
            await bench.bulk_load("large", arguments.search_size, offset=0)
            elapsed = time.perf_counter() - started
            print(f"  loaded {arguments.search_size:,} records for search in {elapsed:.0f} s")
            await _search(bench, "large", arguments.search_size, 100)
    finally:
        await bench.database.dispose()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--search-size", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    print("Registries benchmark")
    if arguments.database_url:
        asyncio.run(main(arguments, arguments.database_url))
        return
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(main(arguments, f"sqlite:///{Path(directory) / 'bench.db'}"))


if __name__ == "__main__":
    cli()
