"""The registries' read rule is decided in one function (`govhub.registries.anyone_may_read`), and its two
paths agree on a matrix of registers, queries and callers: the point-read fast path
(`open_reads.read_open_record`, before any unit of work) answers only what the unit of work
(`RegistriesService.open` then `read`) answers the same caller, and never a read that the unit of work
refuses or logs."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.kit.errors import GovhubError
from govhub.registries import anyone_may_read, demo
from govhub.registries.caller import Caller
from govhub.registries.models import PersonalDataUse
from govhub.registries.open_reads import RecordPointReads, read_open_record
from govhub.registries.service import RegistriesService
from tests.support.registries import PLATFORM, open_register

PERSON = "80bcb084-fa17-11ed-be56-0242ac120002"
SCENARIO_CLIENT = "eGovStack/GOV/90000009/digitalregistries"

#: (register, version, classification, queries): by the key, by another field, a missing key, a key of
#: the wrong JSON type.
REGISTERS: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    ("country", "1", "open", [{"code": "NO"}, {"capital": "Oslo"}, {"code": "ZZ"}, {"code": True}]),
    ("birth", "1", "personal", [{"registration": "B100001"}, {"registration": "B999999"}]),
    ("registryname", "111", "personal", [{"uuid": PERSON}, {"uuid": "nobody"}]),
    ("vault", "1", "restricted", [{"code": "K1"}, {"name": "Key"}, {"code": "K9"}]),
    ("nothing", "1", "open", [{"code": "NO"}]),
]
CALLERS = [
    Caller(None),
    Caller(f"{PLATFORM}/loader", "loading"),
    Caller("govhub/GOV/civil-registration/loader", "loading"),
    Caller(SCENARIO_CLIENT, "checking"),
    Caller("GOV/GOV/99999999/stranger", "curious"),
]


@pytest.fixture(autouse=True)
async def registers(session: AsyncSession, settings: Settings) -> None:
    await demo.load(session, settings)
    service = RegistriesService.for_session(session, settings)
    vault = dataclasses.replace(
        open_register("vault", {"code": {"type": "string"}, "name": {"type": "string"}}, "code"),
        classification="restricted",
    )
    await service.define(vault)
    owner = Caller(f"{PLATFORM}/loader", "loading")
    opened = await service.open("vault", "1", owner, write=True)
    await service.create(opened, {"code": "K1", "name": "Key"})
    await session.commit()


async def _uses(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(PersonalDataUse))).scalar_one()


async def _slow(
    service: RegistriesService, name: str, version: str, caller: Caller, query: dict[str, Any]
) -> tuple[bool, dict[str, Any] | None]:
    """(whether the caller may read the register, the record or None) by the unit of work's path."""
    try:
        opened = await service.open(name, version, caller)
    except GovhubError:
        return False, None
    try:
        return True, await service.read(opened, caller, query)
    except GovhubError:
        return True, None


async def test_the_fast_path_and_the_unit_of_work_agree(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    reads = RecordPointReads(app.state.database.point_reads)
    service = RegistriesService.for_session(session, settings)
    answered = 0
    for (name, version, classification, queries), caller in itertools.product(REGISTERS, CALLERS):
        for query in queries:
            case = (name, query, caller.client)
            fast = await read_open_record(reads, name, version, query)
            before = await _uses(session)
            allowed, slow = await _slow(service, name, version, caller, query)
            logged = await _uses(session) > before
            if fast is not None:
                answered += 1
                # What the fast path answers, the unit of work answers the same caller, with no read logged.
                assert anyone_may_read(classification), case
                assert allowed, case
                assert slow == fast, case
                assert not logged, case
            if not allowed or logged:
                assert fast is None, case
            if anyone_may_read(classification) and allowed and slow is not None and list(query) == ["code"]:
                # A key read of an open register that exists is the fast path's to answer.
                assert fast == slow, case
    assert answered == len(CALLERS)  # Norway by its key, for every caller


@pytest.mark.parametrize("classification", ["open", "personal", "restricted", "OPEN", ""])
def test_only_an_open_register_is_read_without_a_grant(classification: str) -> None:
    assert anyone_may_read(classification) is (classification == "open")
