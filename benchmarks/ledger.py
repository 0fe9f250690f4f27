"""Ledger benchmark: durable appends (batched and single) and proof latency at 1,000,000 leaves, on SQLite
and on PostgreSQL, each beside a reference measured in the same run.

    .venv/bin/python -m benchmarks.ledger [--backend sqlite|postgresql|both] [--proof-size 1000000]

References: appends against a plain INSERT of the same leaf bytes into a scratch table (no tree, same
transactions), and proof latency over HTTP against `GET /healthz` through the same in-process ASGI client.
PostgreSQL: GOVHUB_BENCH_DATABASE_URL, else the server on 127.0.0.1:5432 when one answers (a database
`govhub_bench` is made and dropped). Every append is committed before the next starts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import Column, LargeBinary, MetaData, Table, insert, text
from sqlalchemy.engine import make_url

from govhub.app import create_app
from govhub.config import Environment, Settings
from govhub.db import Database, alembic_config, create_sync_engine
from govhub.ledger import Keyring, LedgerService

LEAF_BYTES = 100
_scratch = Table("bench_plain_leaves", MetaData(), Column("data", LargeBinary))


def _leaves(count: int, offset: int) -> list[bytes]:
    return [f"{offset + i:012d}".encode().ljust(LEAF_BYTES, b".") for i in range(count)]


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Bench:
    def __init__(self, url: str) -> None:
        self.settings = Settings(
            _env_file=None, environment=Environment.TEST, database_url=url, log_level="WARNING"
        )
        self.database = Database(self.settings)
        self.keyring = Keyring(self.settings)

    async def unit(self, work: Callable[[LedgerService], Awaitable[object]]) -> None:
        async with self.database.sessions() as session, session.begin():
            await work(LedgerService.for_session(session, self.settings, self.keyring))

    async def append_rate(self, name: str, total: int, batch: int) -> float:
        await self.unit(lambda ledgers: ledgers.create(name))
        started = time.perf_counter()
        for offset in range(0, total, batch):
            leaves = _leaves(min(batch, total - offset), offset)
            await self.unit(lambda ledgers, leaves=leaves: ledgers.append(name, leaves))  # type: ignore[misc]
        return total / (time.perf_counter() - started)

    async def plain_insert_rate(self, total: int, batch: int) -> float:
        async with self.database.engine.begin() as connection:
            await connection.run_sync(lambda sync: _scratch.create(sync, checkfirst=True))
        started = time.perf_counter()
        for offset in range(0, total, batch):
            rows = [{"data": leaf} for leaf in _leaves(min(batch, total - offset), offset)]
            async with self.database.engine.begin() as connection:
                await connection.execute(insert(_scratch), rows)
        return total / (time.perf_counter() - started)

    async def proof_latencies(
        self, name: str, size: int, count: int, *, fresh_transaction: bool
    ) -> tuple[list[float], list[float]]:
        """Proofs against tree size `size`, as an auditor asks for them. With `fresh_transaction`, each
        proof also pays for its own BEGIN and ROLLBACK, as one request does; without, proofs follow each
        other in one open read transaction and the figure is the proof and its database read alone."""
        rng = random.Random(9162)  # noqa: S311 (reproducible sampling, not secrets)
        inclusion: list[float] = []
        consistency: list[float] = []
        async with self.database.sessions() as session:
            ledgers = LedgerService.for_session(session, self.settings, self.keyring)
            await ledgers.head(name)  # opens the transaction
            for _ in range(count):
                started = time.perf_counter()
                await ledgers.inclusion_proof(name, rng.randrange(size), size)
                if fresh_transaction:
                    await session.rollback()
                inclusion.append(time.perf_counter() - started)
                started = time.perf_counter()
                await ledgers.consistency_proof(name, rng.randrange(1, size), size)
                if fresh_transaction:
                    await session.rollback()
                consistency.append(time.perf_counter() - started)
        return inclusion, consistency

    async def http_latencies(self, name: str, size: int, count: int) -> tuple[list[float], list[float]]:
        app = create_app(self.settings)
        rng = random.Random(6962)  # noqa: S311 (reproducible sampling, not secrets)
        proof: list[float] = []
        health: list[float] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(count):
                started = time.perf_counter()
                response = await client.get(
                    f"/ledgers/{name}/proof/inclusion", params={"index": rng.randrange(size)}
                )
                proof.append(time.perf_counter() - started)
                assert response.status_code == 200
                started = time.perf_counter()
                assert (await client.get("/healthz")).status_code == 200
                health.append(time.perf_counter() - started)
        await app.state.database.dispose()
        return proof, health


def _line(label: str, samples: list[float]) -> str:
    p50, p99 = _percentile(samples, 0.5) * 1e3, _percentile(samples, 0.99) * 1e3
    return f"    {label:<44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms"


async def run_backend(label: str, url: str, proof_size: int, batched_total: int) -> None:
    print(f"\n== {label}")
    command.upgrade(alembic_config(url), "head")
    bench = Bench(url)
    try:
        batched = await bench.append_rate("batched", batched_total, 1000)
        plain = await bench.plain_insert_rate(batched_total, 1000)
        print(f"  batched appends (1,000 leaves of {LEAF_BYTES} B per committed transaction)")
        print(f"    {batched:12,.0f} leaves/s", end="   ")
        print(f"reference plain INSERT {plain:,.0f} rows/s   ratio {batched / plain:.2f}")
        single = await bench.append_rate("single", 300, 1)
        print(f"  single appends (one committed transaction each): {single:,.0f} appends/s")

        started = time.perf_counter()
        built = await bench.append_rate("million", proof_size, 10_000)
        elapsed = time.perf_counter() - started
        print(f"  built a {proof_size:,}-leaf ledger in {elapsed:.0f} s ({built:,.0f} leaves/s)")
        print(
            f"  proofs at {proof_size:,} leaves, in process (service call and its database read), 2,000 each"
        )
        inclusion, consistency = await bench.proof_latencies(
            "million", proof_size, 2000, fresh_transaction=False
        )
        print(_line("inclusion, in an open read transaction", inclusion))
        print(_line("consistency, in an open read transaction", consistency))
        inclusion, consistency = await bench.proof_latencies(
            "million", proof_size, 2000, fresh_transaction=True
        )
        print(_line("inclusion, own transaction each", inclusion))
        print(_line("consistency, own transaction each", consistency))
        over_http, health = await bench.http_latencies("million", proof_size, 1000)
        print("  over HTTP (in-process ASGI client, full middleware), 1,000 each")
        print(_line("GET /ledgers/million/proof/inclusion", over_http))
        print(_line("GET /healthz (reference)", health))
        ratio = _percentile(over_http, 0.5) / _percentile(health, 0.5)
        print(f"    ratio inclusion proof / healthz (p50): {ratio:.2f}")
    finally:
        await bench.database.dispose()


def _postgres_url() -> str | None:
    configured = os.environ.get("GOVHUB_BENCH_DATABASE_URL")
    candidate = configured or "postgresql://postgres@127.0.0.1:5432/test"
    engine = create_sync_engine(candidate, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS govhub_bench WITH (FORCE)"))
            connection.execute(text("CREATE DATABASE govhub_bench"))
    except Exception as error:  # any failure means there is no PostgreSQL to measure
        print(f"PostgreSQL not measured: {error.__class__.__name__}: {error}".splitlines()[0])
        return None
    finally:
        engine.dispose()
    return make_url(candidate).set(database="govhub_bench").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    parser.add_argument("--batched-total", type=int, default=100_000)
    arguments = parser.parse_args()
    print(f"Ledger benchmark: proofs at {arguments.proof_size:,} leaves")
    if arguments.backend in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'bench.db'}"
            asyncio.run(
                run_backend(
                    "SQLite (WAL, synchronous=FULL)", url, arguments.proof_size, arguments.batched_total
                )
            )
    if arguments.backend in {"postgresql", "both"}:
        postgres = _postgres_url()
        if postgres is not None:
            asyncio.run(run_backend("PostgreSQL", postgres, arguments.proof_size, arguments.batched_total))


if __name__ == "__main__":
    main()
