"""Real app nodes: `uvicorn --factory govhub.app:create_app` in processes of their own, on free loopback
ports, for the tests that kill one (`kill -9`) in the middle of its work."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.support.live_server import free_port


@dataclass
class AppNode:
    process: subprocess.Popen[bytes]
    url: str


def _environment(database_url: str, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "GOVHUB_ENVIRONMENT": "test",
        "GOVHUB_DATABASE_URL": database_url,
        "GOVHUB_LOG_LEVEL": "WARNING",
        "GOVHUB_DEV_MAILBOX": "false",
        **{f"GOVHUB_{name.upper()}": value for name, value in settings.items()},
    }


@contextmanager
def app_nodes(count: int, database_url: str, **settings: str) -> Iterator[list[AppNode]]:
    """`count` app nodes on `database_url` (`settings` as GOVHUB_ variables); every one still running is
    killed afterwards."""
    nodes: list[AppNode] = []
    try:
        for _ in range(count):
            port = free_port()
            serve = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [sys.executable, "-m", "uvicorn", "--factory", "govhub.app:create_app", *serve],
                env=_environment(database_url, **settings),
            )
            nodes.append(AppNode(process, f"http://127.0.0.1:{port}"))
        yield nodes
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.process.kill()
            node.process.wait(timeout=30)


async def wait_until_serving(node: AppNode, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=node.url) as client:
        while True:
            if node.process.poll() is not None:
                raise RuntimeError(f"the app node at {node.url} exited with {node.process.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app node at {node.url} did not start")
            await asyncio.sleep(0.1)
