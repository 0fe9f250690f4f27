"""Register writes benchmark: single-record creates through the GovStack API into one register, from
concurrent clients spread over app nodes (uvicorn subprocesses) on one database.

    .venv/bin/python -m benchmarks.register_writes --database-url postgresql://postgres@127.0.0.1:5432/NAME \\
        [--nodes 2] [--clients 32] [--seconds 15]
    .venv/bin/python -m benchmarks.register_writes            # SQLite: a fresh file in a temporary folder

The database is migrated (it should be fresh), one open register is defined, then `--nodes` app nodes are
started (`uvicorn --factory govhub.app:create_app`, one process each, on free loopback ports) and
`--clients` clients (httpx, async, in this process; client i calls node i mod nodes) create records with
new keys for `--seconds` seconds. The callers come from 127.0.0.1, a trusted mediator
(GOVHUB_REGISTRIES_TRUSTED_MEDIATORS), with the register owner's Information-Mediator-Client header.

Printed: acknowledged creates per second, p50/p95 latency, and the references in the same run: the ledger's
own batched appends (`LedgerService.append`, `--clients` leaves per unit of work, one unit after another,
in this process) in leaves per second, and the ratio; and `GET /healthz` per second from the same clients
through the same nodes (what HTTP alone allows on the machine at that moment). Afterwards every
acknowledged create is checked to be in the register, and the register's ledger size to equal its entries.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import text
from tests.support.app_nodes import app_nodes, wait_until_serving

from govhub.config import Environment, Settings
from govhub.db import Database, alembic_config
from govhub.ledger import Keyring, LedgerService
from govhub.registries import RegisterDefinition, RegistriesService
from govhub.registries.repository import RegistriesRepository

OWNER = "bench/GOV/owner"
HEADERS = {"Information-Mediator-Client": f"{OWNER}/bench"}
REGISTER = "bench-writes"


def _definition() -> RegisterDefinition:
    return RegisterDefinition(
        name=REGISTER,
        title=REGISTER,
        description="register writes benchmark",
        classification="open",
        owner=OWNER,
        database_code="BENCHW",
        version="1",
        record_schema={
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "phase": {"type": "string", "x-govhub-indexed": True},
                "pupils": {"type": "integer", "minimum": 0},
            },
            "required": ["id", "name"],
        },
        key_field="id",
    )


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


async def _healthz(urls: list[str], clients: int, seconds: float) -> float:
    """`GET /healthz`s per second with the same clients and nodes: what HTTP alone allows in this run."""
    answered = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    sessions = [httpx.AsyncClient(base_url=url, limits=limits, timeout=60) for url in urls]
    stop_at = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal answered
        session = sessions[number % len(sessions)]
        while time.perf_counter() < stop_at:
            if (await session.get("/healthz")).status_code == 200:
                answered += 1

    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        for session in sessions:
            await session.aclose()
    return answered / seconds


async def _clients(urls: list[str], clients: int, seconds: float) -> tuple[list[str], list[float], int]:
    acknowledged: list[str] = []
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    sessions = [httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits, timeout=60) for url in urls]
    stop_at = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal failures
        session = sessions[number % len(sessions)]
        sent = 0
        while time.perf_counter() < stop_at:
            key = f"c{number:03d}-{sent:07d}"
            sent += 1
            body = {"write": {"content": {"id": key, "name": f"School {key}", "phase": "primary"}}}
            began = time.perf_counter()
            response = await session.post(f"/data/{REGISTER}/1/create", json=body)
            if response.status_code == 200:
                latencies.append(time.perf_counter() - began)
                acknowledged.append(key)
            else:
                failures += 1

    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        for session in sessions:
            await session.aclose()
    return acknowledged, latencies, failures


#: wrk's script for creates: keys unique to this wrk process (its prefix, from the command line) and
#: request; the body as the httpx clients send it.
WRK_CREATES = """
local prefix, sent = "w", 0
function init(args) prefix = args[1] end
function request()
  sent = sent + 1
  local key = string.format("%s-%09d", prefix, sent)
  local body = string.format(
    '{"write":{"content":{"id":"%s","name":"School %s","phase":"primary"}}}', key, key)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Information-Mediator-Client"] = "{CLIENT}"}, body)
end
"""


@dataclass(frozen=True)
class WrkRun:
    per_second: float
    requests: int
    not_ok: int
    p50_ms: float
    p99_ms: float


def _wrk_milliseconds(value: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    number = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    return float(number.group(1)) * units[number.group(2)] if number else float("nan")


def _wrk(urls: list[str], path: str, connections: int, seconds: float, script: str | None) -> WrkRun:
    """wrk against every node at once (`connections` spread over them), one wrk thread per node."""
    folder = Path(tempfile.mkdtemp())
    runs = []
    for number, url in enumerate(urls):
        arguments = ["wrk", "-t1", f"-c{max(1, connections // len(urls))}", f"-d{seconds:.0f}s", "--latency"]
        if script is not None:
            lua = folder / "creates.lua"
            lua.write_text(script.replace("{CLIENT}", HEADERS["Information-Mediator-Client"]))
            arguments += ["-s", str(lua)]
        arguments += [url + path]
        if script is not None:
            arguments += ["--", f"n{number}"]
        runs.append(subprocess.Popen(arguments, stdout=subprocess.PIPE, text=True))  # noqa: S603
    outputs = [run.communicate()[0] for run in runs]
    requests = not_ok = socket_errors_seen = 0
    for out in outputs:
        counted = re.search(r"(\d+) requests in", out)
        requests += int(counted.group(1)) if counted else 0
        refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        not_ok += int(refused.group(1)) if refused else 0
        for socket_errors in re.finditer(r"Socket errors:(.*)", out):
            socket_errors_seen += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    latencies = [re.search(r"50%\s+(\S+).*?99%\s+(\S+)", out, re.DOTALL) for out in outputs]
    p50 = max(_wrk_milliseconds(m.group(1)) for m in latencies if m)
    p99 = max(_wrk_milliseconds(m.group(2)) for m in latencies if m)
    return WrkRun((requests - not_ok) / seconds, requests, not_ok + socket_errors_seen, p50, p99)


class Bench:
    def __init__(self, url: str) -> None:
        self.settings = Settings(
            _env_file=None, environment=Environment.TEST, database_url=url, log_level="WARNING"
        )
        self.database = Database(self.settings)
        self.keyring = Keyring(self.settings)

    async def unit(self, work: Any) -> Any:
        async with self.database.sessions() as session, session.begin():
            ledgers = LedgerService.for_session(session, self.settings, self.keyring)
            return await work(RegistriesService(RegistriesRepository(session), ledgers), ledgers)

    async def ledger_only(self, batch: int, seconds: float) -> float:
        """Leaves per second the ledger appends by itself, `batch` leaves per unit of work."""
        await self.unit(lambda _registries, ledgers: ledgers.create("bench-writes-reference"))
        started, appended = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            leaves = [f"{appended + n:08d}".encode().ljust(160, b".") for n in range(batch)]
            await self.unit(
                lambda _r, ledgers, leaves=leaves: ledgers.append("bench-writes-reference", leaves)
            )
            appended += batch
        return appended / (time.perf_counter() - started)

    async def stored(self) -> tuple[int, int, int]:
        """Records, entries and ledger leaves of the benchmark register."""
        async with self.database.sessions() as session:
            register_id = await session.scalar(
                text("select id from registry_registers where name = :name"), {"name": REGISTER}
            )
            records = await session.scalar(
                text("select count(*) from registry_records where register_id = :id"), {"id": register_id}
            )
            entries = await session.scalar(
                text("select count(*) from registry_entries where register_id = :id"), {"id": register_id}
            )
            size = await session.scalar(
                text("select size from ledger_logs where name = :name"), {"name": "register-bench-writes"}
            )
        return int(records or 0), int(entries or 0), int(size or 0)

    async def check(self, acknowledged: list[str]) -> str:
        async with self.database.sessions() as session:
            register_id = await session.scalar(
                text("select id from registry_registers where name = :name"), {"name": REGISTER}
            )
            keys = set(
                await session.scalars(
                    text("select record_key from registry_records where register_id = :id"),
                    {"id": register_id},
                )
            )
            entries = await session.scalar(
                text("select count(*) from registry_entries where register_id = :id"), {"id": register_id}
            )
            size = await session.scalar(
                text("select size from ledger_logs where name = :name"), {"name": "register-bench-writes"}
            )
        missing = set(acknowledged) - keys
        return (
            f"acknowledged {len(acknowledged)}, in the register {len(keys)}, missing {len(missing)}; "
            f"entries {entries}, ledger size {size}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="a fresh database (default: a SQLite file of its own)")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument(
        "--load",
        choices=["httpx", "wrk"],
        default="httpx",
        help="the clients: httpx in this process (each acknowledged key checked), or wrk (apt install wrk; "
        "the load generator then costs far less CPU than the nodes, and the check is by count)",
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    command.upgrade(alembic_config(url), "head")
    bench = Bench(url)
    await bench.unit(lambda registries, _ledgers: registries.define(_definition()))
    reference = await bench.ledger_only(args.clients, min(args.seconds, 10))
    with app_nodes(args.nodes, url, registries_trusted_mediators='["127.0.0.0/8"]') as nodes:
        for node in nodes:
            await wait_until_serving(node)
        urls = [node.url for node in nodes]
        if args.load == "wrk":
            created = _wrk(urls, f"/data/{REGISTER}/1/create", args.clients, args.seconds, WRK_CREATES)
            healthz_run = _wrk(urls, "/healthz", args.clients, min(args.seconds, 5), None)
        else:
            acknowledged, latencies, failures = await _clients(urls, args.clients, args.seconds)
            healthz = await _healthz(urls, args.clients, min(args.seconds, 5))
        # Stopped, not killed: each node's shutdown writes what it has queued.
        for node in nodes:
            node.process.terminate()
        for node in nodes:
            node.process.wait(timeout=30)
    if args.load == "wrk":
        await _report_wrk(bench, args, created, healthz_run, reference)
        return
    rate = len(acknowledged) / args.seconds
    print(
        f"database {url.split('://')[0]}, {args.nodes} node(s), {args.clients} clients, {args.seconds:.0f} s"
    )
    print(
        f"creates: {rate:.0f}/s acknowledged ({failures} failed), "
        f"p50 {_percentile(latencies, 0.5) * 1000:.1f} ms, p95 {_percentile(latencies, 0.95) * 1000:.1f} ms"
    )
    print(f"reference: ledger appends of {args.clients} leaves per unit of work, {reference:.0f} leaves/s")
    print(f"ratio creates / ledger leaves: {rate / reference:.2f}")
    print(
        f"HTTP alone: GET /healthz {healthz:.0f}/s, same clients and nodes; "
        f"creates / healthz {rate / healthz:.2f}"
    )
    print(await bench.check(acknowledged))
    await bench.database.dispose()


async def _report_wrk(
    bench: Bench, args: argparse.Namespace, created: WrkRun, healthz: WrkRun, reference: float
) -> None:
    print(
        f"database {args.database_url.split('://')[0] if args.database_url else 'sqlite'}, {args.nodes} "
        f"node(s), {args.clients} connections (wrk), {args.seconds:.0f} s"
    )
    print(
        f"creates: {created.per_second:.0f}/s acknowledged ({created.not_ok} not 200 or socket errors), "
        f"p50 {created.p50_ms:.1f} ms, p99 {created.p99_ms:.1f} ms (the slowest node's)"
    )
    print(f"reference: ledger appends of {args.clients} leaves per unit of work, {reference:.0f} leaves/s")
    print(f"ratio creates / ledger leaves: {created.per_second / reference:.2f}")
    print(
        f"HTTP alone: GET /healthz {healthz.per_second:.0f}/s (wrk, same connections and nodes); "
        f"creates / healthz {created.per_second / healthz.per_second:.2f}"
    )
    records, entries, size = await bench.stored()
    acknowledged = round(created.per_second * args.seconds)
    # wrk counts what was answered before it stopped; writes in flight then may be stored without a count.
    print(
        f"acknowledged {acknowledged}, in the register {records} (at least as many: "
        f"{'yes' if records >= acknowledged else 'NO'}); entries {entries}, ledger size {size}"
    )
    await bench.database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
