"""Exchange gateway benchmark: a provider called through govhub's `/r1` gateway (access token,
`X-Road-Client`, access right, message log with its ledger append, forwarding) against the same provider
called directly, by the same load generator (wrk) in the same run, with govhub's `GET /healthz` as a second
reference.

    .venv/bin/python -m benchmarks.exchange [--duration 10] [--concurrency 32] [--rounds 2]
        [--database-url postgresql://...] [--profile FILE] [--server-log FILE]

The provider is a tiny Starlette app (`provider_app` below) in a uvicorn process of its own; govhub is one
uvicorn worker in production mode, as `benchmarks/identity.py` runs it. The members, the service (the blue
badge eligibility OpenAPI document) and the access right are made through the services' own functions on a
fresh database. Issue 6's targets: gateway/direct throughput at least 0.5, added p50 latency under 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks.identity import Server, _free_port, production_server
from govhub.config import Settings
from govhub.db import Database, alembic_config
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.kit.outbound import OutboundGuard
from govhub.members import (
    COMMAND_LINE_ACTOR,
    ApplicationsService,
    Decider,
    NewApplication,
    ServicesService,
    parse_service_id,
)

OPENAPI = Path(__file__).parents[1] / "tests" / "support" / "openapi" / "blue_badge_eligibility.json"
PROVIDER_CODE = "parking"
CLIENT_CODE = "orders"
NHS_NUMBER = "9434765919"
TARGET_RATIO = 0.5
TARGET_ADDED_P50_MS = 2.0


#: CPU time the provider spends on each request (`--provider-work-ms`, passed in the environment).
WORK_VARIABLE = "BENCH_PROVIDER_WORK_MS"


def _work(seconds: float) -> None:
    """Busy for `seconds` of the process's CPU time, as a service's own work (lookups, rules, encoding)."""
    until = time.process_time() + seconds
    while time.process_time() < until:
        hashlib.sha256(b"eligibility").digest()


async def _eligibility(request: Request) -> JSONResponse:
    work = float(os.environ.get(WORK_VARIABLE, "0")) / 1000
    if work:
        _work(work)
    return JSONResponse({"nhsNumber": request.path_params["n"], "eligible": True})


def provider_app() -> Starlette:
    """The provider: `GET /eligibility/{n}` with a small JSON body (run with `uvicorn --factory`), after
    `BENCH_PROVIDER_WORK_MS` of CPU work (none by default)."""
    return Starlette(routes=[Route("/eligibility/{n}", _eligibility)])


class Provider:
    """The provider in a uvicorn process of its own, one worker."""

    def __init__(self, port: int, work_ms: float = 0.0) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        arguments = ["-m", "uvicorn", "--factory", "benchmarks.exchange:provider_app", "--host", "127.0.0.1"]
        arguments += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
        environment = {**os.environ, WORK_VARIABLE: str(work_ms)}
        self.process = subprocess.Popen([sys.executable, *arguments], env=environment)  # noqa: S603

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/eligibility/1", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the provider did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@dataclass
class Seeded:
    provider_subsystem: str
    client_subsystem: str
    service: str
    client_id: str  # the calling subsystem's OAuth client id
    key: ECKey


def _application(
    name: str, number: str, member_class: str, code: str, jwks: dict[str, Any]
) -> NewApplication:
    return NewApplication(
        organisation_name=name,
        registration_number=number,
        member_class=member_class,
        contact_name="Bench Mark",
        contact_email="bench@example.org",
        subsystem_code=code,
        jwks=jwks,
    )


async def _seed(settings: Settings, provider_url: str) -> Seeded:
    """Two approved members (a provider and a client subsystem with an ES256 key), the service at the
    provider, and the client's access right to it: the members, services and rights services' own work."""
    instance = settings.members_instance
    provider = f"{instance}/GOV/E10000099/{PROVIDER_CODE}"
    client = f"{instance}/COM/07654321/{CLIENT_CODE}"
    service = f"{provider}/eligibility"
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    jwks = {"keys": [{**key.as_dict(private=False), "use": "sig"}]}
    unused = ECKey.generate_key("P-256", private=True, auto_kid=True)
    decider = Decider("benchmark")
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            applications = ApplicationsService(session, instance)
            for new in (
                _application(
                    "Borsetshire County Council",
                    "E10000099",
                    "GOV",
                    PROVIDER_CODE,
                    {"keys": [unused.as_dict(private=False)]},
                ),
                _application("Theirs Ltd", "07654321", "COM", CLIENT_CODE, jwks),
            ):
                await applications.approve((await applications.submit(new)).public_id, decider)
            services = ServicesService(session)
            await services.register(
                COMMAND_LINE_ACTOR,
                subsystem=provider,
                service_code="eligibility",
                base_url=provider_url,
                openapi=json.loads(OPENAPI.read_text()),
                outbound=OutboundGuard.from_settings(settings),
            )
            await services.grant(COMMAND_LINE_ACTOR, parse_service_id(service), client, None)
    finally:
        await database.dispose()
    return Seeded(provider, client, service, client.replace("/", "."), key)


def _token(base_url: str, seeded: Seeded) -> str:
    """A `client_credentials` access token for the calling subsystem (`private_key_jwt`)."""
    now = int(time.time())
    claims = {
        "iss": seeded.client_id,
        "sub": seeded.client_id,
        "aud": f"{base_url}/token",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    assertion = jwt.encode({"alg": "ES256", "kid": seeded.key.kid}, claims, seeded.key)
    answer = httpx.post(
        f"{base_url}/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert found, text
    return float(found.group(1)) * _UNITS[found.group(2)]


@dataclass
class Run:
    per_second: float
    answered: int  # responses wrk completed
    failed: int  # non-2xx answers, connection errors and timeouts: never counted as speed
    p50_ms: float
    p99_ms: float

    def __str__(self) -> str:
        failed = f", {self.failed} FAILED" if self.failed else ""
        return f"{self.per_second:,.0f}/s p50 {self.p50_ms:.2f} p99 {self.p99_ms:.2f} ms{failed}"


def _wrk(url: str, duration: int, concurrency: int, headers: dict[str, str]) -> Run:
    """One wrk run: one thread, `concurrency` keep-alive connections, GET with `headers`, `--latency`."""
    arguments = ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        arguments += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603
        [*arguments, url], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    assert rate, output
    assert total, output
    assert p50, output
    assert p99, output
    answered = int(total.group(1))
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    failed += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    good = max(0, answered - failed)
    return Run(
        float(rate.group(1)) * good / max(1, answered), answered, failed, _ms(p50.group(1)), _ms(p99.group(1))
    )


async def _records(settings: Settings) -> tuple[int, int]:
    """(message log records, of which answered 200 and forwarded) in the database."""
    database = Database(settings)
    try:
        async with database.sessions() as session:
            every = int(await session.scalar(select(func.count()).select_from(ExchangeRecord)) or 0)
            ok = await session.scalar(
                select(func.count()).select_from(ExchangeRecord).where(ExchangeRecord.status == 200)
            )
            return every, int(ok or 0)
    finally:
        await database.dispose()


async def _settled_records(settings: Settings) -> tuple[int, int]:
    """The log is written after each response has gone: wait until the count stops moving."""
    last = await _records(settings)
    for _ in range(50):
        await asyncio.sleep(0.2)
        now = await _records(settings)
        if now == last:
            return now
        last = now
    return last


def _best(runs: list[Run]) -> Run:
    return max(runs, key=lambda run: run.per_second)


def _runs(runs: list[Run]) -> str:
    return "; ".join(str(run) for run in runs)


async def _main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'exchange.db'}"
        port, provider_port = _free_port(), _free_port()
        env, settings = production_server(url, port)
        # The provider runs on loopback: the outbound-address guard lets it through only when allowed.
        loopback = '["127.0.0.0/8", "::1/128"]'
        env["GOVHUB_GATEWAY_ALLOWED_NETWORKS"] = loopback
        settings = settings.model_copy(update={"gateway_allowed_networks": [ip_network("127.0.0.0/8")]})
        command.upgrade(alembic_config(url), "head")
        provider = Provider(provider_port, args.provider_work_ms)
        server: Server | None = None
        try:
            provider.wait_until_up()
            seeded = await _seed(settings, provider.base_url)
            server = Server(env, port, args.server_log, args.profile)
            server.wait_until_up()
            sent = _measure(args, settings, server, provider, seeded)
            records, ok = await _settled_records(settings)
            # wrk stops counting at the end of a run while the server may still answer what was in flight
            # (at most one request a connection a run), so the log may hold a few more than wrk saw.
            slack = args.concurrency * (args.rounds + 1)
            print(
                f"  message log: {records:,} records ({ok:,} with status 200) for {sent:,} gateway answers "
                f"wrk counted (warm-up and check included);\n  in-flight slack up to {slack} "
                f"({args.concurrency} a run); difference {records - sent:+,}"
            )
            print(f"  load average at the end: {_load()}")
        finally:
            if server is not None:
                server.stop()
            provider.stop()


def _measure(
    args: argparse.Namespace, settings: Settings, server: Server, provider: Provider, seeded: Seeded
) -> int:
    """The runs and their figures; the gateway answers wrk counted."""
    backend = settings.database_url.split(":")[0]
    direct_url = f"{provider.base_url}/eligibility/{NHS_NUMBER}"
    gateway_url = f"{server.base_url}/r1/{seeded.service}/eligibility/{NHS_NUMBER}"
    healthz_url = f"{server.base_url}/healthz"

    def gateway_headers() -> dict[str, str]:
        # A fresh token per run: access tokens live 300 s, a run lasts seconds.
        return {
            "Authorization": f"Bearer {_token(server.base_url, seeded)}",
            "X-Road-Client": seeded.client_subsystem,
        }

    check = httpx.get(gateway_url, headers=gateway_headers(), timeout=10)
    assert check.status_code == 200, check.text
    assert check.json() == {"nhsNumber": NHS_NUMBER, "eligible": True}, check.text
    sent = 1
    print(f"exchange benchmark on {backend}: govhub on {server.base_url} (one uvicorn worker, production),")
    work = f", {args.provider_work_ms:g} ms of CPU work a request" if args.provider_work_ms else ""
    print(
        f"provider on {provider.base_url} (Starlette, one uvicorn worker{work}); wrk -t1 -c{args.concurrency}"
    )
    print(
        f"  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average {_load()}"
        + (" (PROFILED)" if args.profile else "")
    )
    # Warm up each (connections, caches, SQLite's pages): not reported, but the gateway's are logged.
    _wrk(direct_url, 2, args.concurrency, {})
    sent += _wrk(gateway_url, 2, args.concurrency, gateway_headers()).answered
    _wrk(healthz_url, 2, args.concurrency, {})
    runs: dict[str, list[Run]] = {"direct": [], "gateway": [], "healthz": []}
    for round_number in range(args.rounds):  # alternating, so that each shares the machine's noise
        runs["direct"].append(_wrk(direct_url, args.duration, args.concurrency, {}))
        headers = gateway_headers()
        spy = _py_spy(args.py_spy, server, args.duration) if round_number == 0 and args.py_spy else None
        runs["gateway"].append(_wrk(gateway_url, args.duration, args.concurrency, headers))
        if spy is not None:
            spy.wait(timeout=60)
        runs["healthz"].append(_wrk(healthz_url, args.duration, args.concurrency, {}))
        print(f"  round done, load average {_load()}")
    sent += sum(run.answered for run in runs["gateway"])
    direct, gateway, health = (_best(runs[kind]) for kind in ("direct", "gateway", "healthz"))
    for label, kind in (
        ("provider directly", "direct"),
        ("through the gateway", "gateway"),
        ("govhub /healthz", "healthz"),
    ):
        print(f"  {label + ':':<22} best {_best(runs[kind])}   (runs: {_runs(runs[kind])})")
    ratio = gateway.per_second / direct.per_second
    added_p50, added_p99 = gateway.p50_ms - direct.p50_ms, gateway.p99_ms - direct.p99_ms
    failed = sum(run.failed for kind in runs for run in runs[kind])
    verdict = "met" if ratio >= TARGET_RATIO and not failed else "NOT met"
    print(
        f"  ratio gateway/direct: {ratio:.3f} (target >= {TARGET_RATIO}: {verdict}); "
        f"gateway/healthz {gateway.per_second / health.per_second:.3f}"
    )
    verdict = "met" if added_p50 < TARGET_ADDED_P50_MS and not failed else "NOT met"
    print(
        f"  added latency (best runs): p50 {added_p50:+.2f} ms (target < {TARGET_ADDED_P50_MS} ms: "
        f"{verdict}), p99 {added_p99:+.2f} ms"
    )
    print(f"  failed (non-2xx, socket errors) in all measured runs: {failed}")
    return sent


def _py_spy(output: str, server: Server, duration: int) -> subprocess.Popen[bytes]:
    """py-spy sampling govhub's process through one gateway run, as collapsed stacks (`-f raw`)."""
    spy = Path(sys.executable).parent / "py-spy"
    arguments = [str(spy), "record", "-p", str(server.process.pid), "-d", str(duration), "-r", "200"]
    arguments += ["-f", "raw", "-o", output, "--nonblocking"]
    return subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--concurrency", type=int, default=32, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of direct, gateway, /healthz runs")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--provider-work-ms",
        type=float,
        default=0.0,
        help="CPU work the provider does per request (default 0)",
    )
    parser.add_argument("--server-log", default=os.devnull, help="where govhub's output goes")
    parser.add_argument("--profile", default=None, help="write govhub's cProfile statistics here (slows it)")
    parser.add_argument(
        "--py-spy", default=None, help="py-spy govhub in the first gateway run, stacks to FILE"
    )
    asyncio.run(_main(parser.parse_args()))
