"""Group-committed register writes survive `kill -9` of an app node in the middle of them: two real app
nodes on one PostgreSQL database, clients creating records through both, one node killed with SIGKILL
while its batches are in flight. Every create that was answered 2xx is in the register, and the register's
ledger verifies (its signed checkpoint against every leaf, and its stored hashes), with exactly one leaf per
entry. PostgreSQL only: SQLite is one file for one machine, whose nodes share its lock, not a server."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest
from sqlalchemy import func, select

from govhub.db import create_async_engine, session_factory
from govhub.ledger import LedgerService, audit, check_storage
from govhub.ledger.repository import LedgerRepository
from govhub.registries.models import Register, RegistryEntry, RegistryRecord
from govhub.registries.service import RegistriesService
from tests.conftest import make_settings
from tests.support.app_nodes import AppNode, app_nodes, wait_until_serving
from tests.support.registries import PLATFORM, open_register

NAME = "killed-writes"
HEADERS = {"Information-Mediator-Client": f"{PLATFORM}/registry"}
CLIENTS_PER_NODE = 8
#: The victim is killed once its clients have had this many creates acknowledged...
KILL_AFTER_WRITES = 30
#: ...and the survivor's clients go on this long after.
SURVIVOR_SECONDS = 1.5


async def _clients(node: AppNode, first: int, stop: asyncio.Event, acknowledged: list[str]) -> int:
    """Creates through `node` until `stop` or until it is gone; how many were sent without an answer."""
    unanswered = 0

    async def client(number: int, http: httpx.AsyncClient) -> None:
        nonlocal unanswered
        sent = 0
        while not stop.is_set():
            key = f"k{number:03d}-{sent:06d}"
            sent += 1
            body = {"write": {"content": {"urn": key, "name": f"School {key}"}}}
            try:
                response = await http.post(f"/data/{NAME}/1/create", json=body)
            except httpx.TransportError:
                unanswered += 1
                return  # the node is gone
            assert response.status_code == 200, response.text
            acknowledged.append(key)

    async with httpx.AsyncClient(base_url=node.url, headers=HEADERS, timeout=30) as http:
        await asyncio.gather(*(client(first + n, http) for n in range(CLIENTS_PER_NODE)))
    return unanswered


async def test_every_acknowledged_write_survives_kill_9_of_a_node(backend: str, migrated_url: str) -> None:
    if backend != "postgresql":
        pytest.skip("two app nodes on one database server: PostgreSQL only")
    settings = make_settings(migrated_url)
    engine = create_async_engine(migrated_url)
    try:
        async with session_factory(engine)() as session:
            service = RegistriesService.for_session(session, settings)
            properties = {"urn": {"type": "string"}, "name": {"type": "string"}}
            register = await service.define(open_register(NAME, properties, "urn"))
            ledger_name = register.ledger_name
            await session.commit()

        acknowledged: list[str] = []
        with app_nodes(2, migrated_url, registries_trusted_mediators='["127.0.0.0/8"]') as nodes:
            await asyncio.gather(*(wait_until_serving(node) for node in nodes))
            victim, survivor = nodes
            stop = asyncio.Event()

            async def kill_in_the_middle() -> None:
                deadline = time.monotonic() + 20
                while sum(key < f"k{CLIENTS_PER_NODE:03d}" for key in acknowledged) < KILL_AFTER_WRITES:
                    assert time.monotonic() < deadline, "the victim acknowledged too few writes"
                    await asyncio.sleep(0.02)
                victim.process.send_signal(signal.SIGKILL)
                await asyncio.sleep(SURVIVOR_SECONDS)
                stop.set()

            unanswered, _, _ = await asyncio.gather(
                _clients(victim, 0, stop, acknowledged),
                _clients(survivor, CLIENTS_PER_NODE, stop, acknowledged),
                kill_in_the_middle(),
            )
            assert victim.process.wait(timeout=10) == -signal.SIGKILL
            # The victim was killed with writes in flight; the survivor went on writing.
            assert unanswered > 0
            assert any(key >= f"k{CLIENTS_PER_NODE:03d}" for key in acknowledged)

            async with httpx.AsyncClient(base_url=survivor.url) as http:
                report = await audit(http, ledger_name)

        async with session_factory(engine)() as session:
            stored = await session.get(Register, register.id)
            assert stored is not None
            keys = set(
                await session.scalars(
                    select(RegistryRecord.record_key).where(RegistryRecord.register_id == register.id)
                )
            )
            assert set(acknowledged) <= keys
            entries = await session.scalar(
                select(func.count())
                .select_from(RegistryEntry)
                .where(RegistryEntry.register_id == register.id)
            )
            indexes = set(
                await session.scalars(
                    select(RegistryEntry.ledger_index).where(RegistryEntry.register_id == register.id)
                )
            )
            assert entries == stored.entry_count == len(keys) == report.checkpoint.size
            assert indexes == set(range(report.checkpoint.size))
            head = await LedgerService.for_session(session, settings).head(ledger_name)
            assert head.size == report.checkpoint.size
            assert await check_storage(LedgerRepository(session), head) == []
    finally:
        await engine.dispose()
