"""Group commit of register writes (`registries.writes`): writes queued together are made in one unit of
work, each seeing the earlier ones, each failing alone. The writes here are queued at once (`asyncio.gather`
submits them all before the writer's task first runs), so they make one batch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger import Keyring, LedgerService
from govhub.ledger.models import LedgerLog
from govhub.node import NODE_HOOKS, NodeState
from govhub.registries import Caller, RegistriesService
from govhub.registries.errors import (
    DuplicateRecord,
    InvalidRecord,
    NotGranted,
    RecordNotFound,
    RegisterNotFound,
)
from govhub.registries.models import Register, RegistryEntry, RegistryRecord
from govhub.registries.repository import RegistriesRepository
from govhub.registries.writes import RegisterWriter
from tests.support.registries import PLATFORM, open_register

NAME = "schools-gc"
OWNER = Caller(f"{PLATFORM}/registry")
STRANGER = Caller("govhub/GOV/stranger/app")
PROPERTIES = {
    "urn": {"type": "string"},
    "name": {"type": "string"},
    "email": {"type": "string", "x-govhub-unique": True},
    "pupils": {"type": "integer", "minimum": 0},
}
HEADERS = {"Information-Mediator-Client": f"{PLATFORM}/registry"}


@pytest.fixture
async def writer(app: FastAPI, session: AsyncSession, settings: Settings) -> AsyncIterator[RegisterWriter]:
    """A register of its own (committed in the test's transaction), and a writer on the app's database."""
    service = RegistriesService.for_session(session, settings)
    await service.define(open_register(NAME, PROPERTIES, "urn"))
    await session.flush()
    writer = RegisterWriter(app.state.database, settings, Keyring(settings))
    yield writer
    await writer.aclose()


def _school(number: int, **fields: Any) -> dict[str, Any]:
    return {"urn": f"U{number}", "name": f"School {number}", **fields}


async def _entries(session: AsyncSession) -> list[RegistryEntry]:
    session.expire_all()
    return list(
        await session.scalars(
            select(RegistryEntry)
            .join(Register, Register.id == RegistryEntry.register_id)
            .where(Register.name == NAME)
            .order_by(RegistryEntry.number)
        )
    )


async def _ledger_size(session: AsyncSession) -> int:
    size = await session.scalar(select(LedgerLog.size).where(LedgerLog.name == f"register-{NAME}"))
    return int(size or 0)


async def test_concurrent_creates_are_one_batch_one_ledger_append(
    writer: RegisterWriter, session: AsyncSession, settings: Settings
) -> None:
    made = await asyncio.gather(*(writer.create(NAME, "1", OWNER, _school(n)) for n in range(8)))
    assert made == [_school(n) for n in range(8)]
    assert (writer.batches_committed, writer.writes_committed) == (1, 8)
    entries = await _entries(session)
    assert [entry.record_key for entry in entries] == [f"U{n}" for n in range(8)]
    assert [entry.number for entry in entries] == list(range(1, 9))
    assert [entry.ledger_index for entry in entries] == list(range(8))
    assert await _ledger_size(session) == 8
    # The ledger's leaves are those of the entries: its root is recomputed from what is stored.
    ledgers = LedgerService.for_session(session, settings)
    assert (await ledgers.head(f"register-{NAME}")).size == 8


async def test_one_bad_write_among_good_ones_fails_alone(
    writer: RegisterWriter, session: AsyncSession
) -> None:
    await writer.create(NAME, "1", OWNER, _school(0))
    outcomes = await asyncio.gather(
        writer.create(NAME, "1", OWNER, _school(1)),
        writer.create(NAME, "1", OWNER, {"urn": "U2", "name": "School 2", "pupils": -1}),  # breaks the schema
        writer.create(NAME, "1", OWNER, _school(0)),  # exists already
        writer.create(NAME, "1", STRANGER, _school(3)),  # may not write here
        writer.change(NAME, "1", OWNER, lambda service, opened: service.delete(opened, "U-none")),
        writer.create(NAME, "1", OWNER, _school(4)),
        return_exceptions=True,
    )
    assert outcomes[0] == _school(1)
    assert isinstance(outcomes[1], InvalidRecord)
    assert outcomes[1].field_errors[0].name == "/write/content/pupils"
    assert isinstance(outcomes[2], DuplicateRecord)
    assert isinstance(outcomes[3], NotGranted)
    assert isinstance(outcomes[4], RecordNotFound)
    assert outcomes[5] == _school(4)
    assert writer.batches_committed == 2
    assert [entry.record_key for entry in await _entries(session)] == ["U0", "U1", "U4"]
    assert await _ledger_size(session) == 3


async def test_the_second_of_two_equal_keys_in_a_batch_is_a_duplicate(
    writer: RegisterWriter, session: AsyncSession
) -> None:
    outcomes = await asyncio.gather(
        writer.create(NAME, "1", OWNER, _school(7, name="first")),
        writer.create(NAME, "1", OWNER, _school(7, name="second")),
        return_exceptions=True,
    )
    first, second = outcomes
    assert first == _school(7, name="first")
    assert isinstance(second, DuplicateRecord)
    assert second.status == 409
    record = await session.scalar(select(RegistryRecord).where(RegistryRecord.record_key == "U7"))
    assert record is not None
    assert record.content["name"] == "first"


async def test_an_update_sees_the_create_before_it_in_the_batch(
    writer: RegisterWriter, session: AsyncSession
) -> None:
    created, updated, deleted_then = await asyncio.gather(
        writer.create(NAME, "1", OWNER, _school(5, pupils=10)),
        writer.change(NAME, "1", OWNER, lambda s, o: s.update(o, {"urn": "U5"}, {"pupils": 11})),
        writer.change(NAME, "1", OWNER, lambda s, o: s.update_entries(o, {"urn": "U5"}, {"name": "Renamed"})),
    )
    assert created == _school(5, pupils=10)
    assert updated == _school(5, pupils=11)
    assert deleted_then == 1
    assert writer.batches_committed == 1
    entries = await _entries(session)
    assert [(entry.kind, entry.number) for entry in entries] == [("create", 1), ("update", 2), ("update", 3)]
    assert entries[-1].content == _school(5, pupils=11, name="Renamed")
    assert await _ledger_size(session) == 3


async def test_a_unique_field_clash_rolls_the_batch_back_and_fails_only_its_write(
    writer: RegisterWriter, session: AsyncSession
) -> None:
    """The clash shows only as the database refuses the row (and spoils the transaction on PostgreSQL):
    the batch is made again one write at a time."""
    await writer.create(NAME, "1", OWNER, _school(0, email="a@example.org"))
    outcomes = await asyncio.gather(
        writer.create(NAME, "1", OWNER, _school(1, email="b@example.org")),
        writer.change(NAME, "1", OWNER, lambda s, o: s.update(o, {"urn": "U0"}, {"pupils": 3})),
        writer.create(NAME, "1", OWNER, _school(2, email="a@example.org")),
        writer.create(NAME, "1", OWNER, _school(3, email="c@example.org")),
        return_exceptions=True,
    )
    assert outcomes[0] == _school(1, email="b@example.org")
    assert outcomes[1] == _school(0, email="a@example.org", pupils=3)
    assert isinstance(outcomes[2], DuplicateRecord)
    assert "email is unique" in outcomes[2].detail
    assert outcomes[3] == _school(3, email="c@example.org")
    entries = await _entries(session)
    assert [entry.record_key for entry in entries] == ["U0", "U1", "U0", "U3"]
    assert [entry.number for entry in entries] == [1, 2, 3, 4]
    assert [entry.ledger_index for entry in entries] == [0, 1, 2, 3]
    assert await _ledger_size(session) == 4


async def test_writes_to_an_unknown_register_or_version_fail_each(writer: RegisterWriter) -> None:
    # One register at a time: the test's units of work share one connection, so two batches may not run
    # at once here (an app node's each have their own).
    with pytest.raises(RegisterNotFound):
        await writer.create("no-such-register", "1", OWNER, _school(1))
    outcomes = await asyncio.gather(
        writer.create(NAME, "9", OWNER, _school(1)),
        writer.create(NAME, "1", OWNER, _school(2)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], RegisterNotFound)
    assert "has no version '9'" in outcomes[0].detail
    assert outcomes[1] == _school(2)


@pytest.mark.usefixtures("writer")
async def test_concurrent_http_creates_answer_each_caller(client: httpx.AsyncClient) -> None:
    """Through the API: equal keys sent at once, one answered 200 and the other 409 with a problem body; a
    caller without a grant 403; a bad record 422; the rest 200."""
    url = f"/data/{NAME}/1/create"

    def post(content: dict[str, Any], headers: dict[str, str] = HEADERS) -> Any:
        return client.post(url, json={"write": {"content": content}}, headers=headers)

    responses = await asyncio.gather(
        post(_school(1)),
        post(_school(1, name="again")),
        post(_school(2), {"Information-Mediator-Client": "govhub/GOV/stranger/app"}),
        post({"urn": "U3", "name": 3}),
        post(_school(4)),
    )
    assert [response.status_code for response in responses] == [200, 409, 403, 422, 200]
    assert responses[0].json() == {"content": _school(1)}
    assert "already exists" in responses[1].json()["detail"]
    assert responses[3].json()["errors"][0]["pointer"] == "/write/content/name"
    listed = await client.get(f"/data/{NAME}/1", params={"pageSize": 10}, headers=HEADERS)
    assert sorted(record["urn"] for record in listed.json()["results"]) == ["U1", "U4"]


async def test_the_node_drains_its_writer_at_shutdown(app: FastAPI, writer: RegisterWriter) -> None:
    app.state.registries_writer = writer
    pending = asyncio.ensure_future(writer.create(NAME, "1", OWNER, _school(9)))
    await asyncio.sleep(0)  # queued, not written yet
    assert writer.batches_committed == 0
    [hooks] = [hooks for hooks in NODE_HOOKS if hooks.block == "registries"]
    assert hooks.stop is not None
    await hooks.stop(cast("NodeState", app.state))
    assert writer.batches_committed == 1
    assert await pending == _school(9)


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Information-Mediator-Client": "govhub/GOV/stranger/app"}, 403)],
    ids=["anonymous", "stranger"],
)
async def test_every_write_route_refuses_the_wrong_caller_in_its_batch(
    client: httpx.AsyncClient,
    writer: RegisterWriter,
    session: AsyncSession,
    headers: dict[str, str],
    status: int,
) -> None:
    await writer.create(NAME, "1", OWNER, _school(1))
    data = f"/data/{NAME}/1"
    query = {"query": {"content": {"urn": "U1"}}, "write": {"content": {"name": "Changed"}}}
    responses = await asyncio.gather(
        client.post(f"{data}/create", json={"write": {"content": _school(2)}}, headers=headers),
        client.put(f"{data}/update", json=query, headers=headers),
        client.put(f"{data}/updateEntries", json=query, headers=headers),
        client.post(f"{data}/updateOrCreate", json=query, headers=headers),
        client.delete(f"{data}/U1/delete", headers=headers),
        # The owner's write in the same batch goes through.
        client.put(f"{data}/update", json={**query, "write": {"content": {"pupils": 4}}}, headers=HEADERS),
    )
    assert [response.status_code for response in responses] == [status] * 5 + [200]
    assert all(response.json()["detail"] for response in responses[:5])
    assert [entry.kind for entry in await _entries(session)] == ["create", "update"]
    assert (await _entries(session))[-1].content == _school(1, pupils=4)


async def test_a_key_the_lock_did_not_see_is_refused_by_the_unique_index(
    writer: RegisterWriter, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the batch's keys are read in the lock's statement, whose snapshot predates a wait for
    the lock: a record made meanwhile through another node can be missing. Here every lookup with the lock
    misses (on both backends): the record that exists is refused all the same, alone."""
    await writer.create(NAME, "1", OWNER, _school(0))
    locked_with = RegistriesRepository.lock_for_entries

    async def blind_lock(
        self: RegistriesRepository, register_id: int, keys: Collection[str]
    ) -> tuple[int, set[str] | None]:
        return await locked_with(self, register_id), (set() if keys else None)

    monkeypatch.setattr(RegistriesRepository, "lock_for_entries_and_keys", blind_lock)
    outcomes = await asyncio.gather(
        writer.create(NAME, "1", OWNER, _school(1)),
        writer.create(NAME, "1", OWNER, _school(0)),  # exists, unseen by the lock
        writer.create(NAME, "1", OWNER, _school(2)),
        return_exceptions=True,
    )
    assert outcomes[0] == _school(1)
    assert isinstance(outcomes[1], DuplicateRecord)
    assert outcomes[2] == _school(2)
    entries = await _entries(session)
    assert [entry.record_key for entry in entries] == ["U0", "U1", "U2"]
    assert await _ledger_size(session) == 3
