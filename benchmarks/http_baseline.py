"""HTTP baseline: the cost of govhub's shared middleware (request ids, access log, metrics, body limit,
problem handlers) over a bare FastAPI endpoint, both served in this process through the same ASGI client.

Later benchmarks report their own endpoints as a ratio to `/healthz` measured the same way, so the figure
below is the reference they stand on.

    .venv/bin/python -m benchmarks.http_baseline [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from govhub.app import create_app
from govhub.config import Environment, Settings
from govhub.kit.logging import JsonFormatter, RequestIdFilter


def _bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    return app


async def _measure(app: FastAPI, path: str, requests: int) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    latencies: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(min(200, requests)):  # warm up
            await client.get(path)
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
    return latencies


def _summary(name: str, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1e6
    p99 = ordered[int(len(ordered) * 0.99)] * 1e6
    per_second = len(latencies) / sum(latencies)
    print(f"  {name:<34} {per_second:>9,.0f} req/s   p50 {p50:>7.1f} µs   p99 {p99:>7.1f} µs")
    return statistics.median(latencies)


def main(requests: int) -> None:
    # Log as production does (JSON lines, every request), but into /dev/null rather than a terminal,
    # whose speed would otherwise be what this measures.
    with Path(os.devnull).open("w") as null:
        handler = logging.StreamHandler(null)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        logging.getLogger().handlers[:] = [handler]
        logging.getLogger().setLevel(logging.INFO)
        asyncio.run(_compare(requests))


async def _compare(requests: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,
            environment=Environment.TEST,
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
        )
        govhub_app = create_app(settings)
        print(f"HTTP baseline, {requests:,} sequential requests each, in-process ASGI client")
        bare = _summary("bare FastAPI GET /healthz", await _measure(_bare_app(), "/healthz", requests))
        full_latencies = await _measure(govhub_app, "/healthz", requests)
        full = _summary("govhub GET /healthz (all middleware)", full_latencies)
        await govhub_app.state.database.dispose()
    print(f"  ratio govhub / bare (median latency): {full / bare:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    main(parser.parse_args().requests)
