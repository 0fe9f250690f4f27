"""Who may read a register without a grant, and which reads of a person's records happened: the
registries' rules, each decided in one function that every path calls (the GovStack API's unit of work,
its point-read fast path `open_reads`, and the exchange's data tracker through `govhub.registries`).

A read of a personal record is logged under the record's *subject id*, the value of the version's subject
field (such as the births register's `person_id`), or the record key when the record has no such value
(`RegistriesService.log_reads`). A person's reads are found the same way: by the subject id of the record
they proved their identity against, in that one register (subject ids are each register's own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.registries.models import PersonalDataUse, Register
from govhub.registries.repository import RegistriesRepository

#: The classification whose registers anyone may read, identified or not, with no read logged.
OPEN = "open"


def anyone_may_read(classification: str) -> bool:
    """Whether a register of this classification is read without a grant: an open one, by anyone. Every
    other register is read only by those who may use it (`RegistriesService.may_use`), each read of a
    personal one logged."""
    return classification == OPEN


def subject_id_of(content: Mapping[str, Any], record_key: str, subject_field: str) -> str:
    """The subject id a read of a personal record is logged and looked up under."""
    return str(content.get(subject_field, record_key))


@dataclass(frozen=True)
class RegisterSummary:
    """What another block may know of a register (the exchange's tracker names it): no row of ours."""

    id: int
    name: str
    title: str

    @classmethod
    def of(cls, register: Register) -> RegisterSummary:
        return cls(register.id, register.name, register.title)


@dataclass(frozen=True)
class RecordRead:
    """One logged read of a person's record, as the person's tracker shows it."""

    id: int
    read_at: datetime
    record_key: str
    reader: str
    purpose: str

    @classmethod
    def of(cls, use: PersonalDataUse) -> RecordRead:
        return cls(use.id, use.read_at, use.record_key, use.reader, use.purpose)


@dataclass(frozen=True)
class ReadSubject:
    """Whose reads to look up: a register and the subject id its reads of the person's record carry."""

    register: RegisterSummary
    record_key: str
    subject_id: str


async def read_subject(session: AsyncSession, register_name: str, record_key: str) -> ReadSubject | None:
    """The subject of the reads of record `record_key` in register `register_name` (the record a person
    proved their identity against), or None when there is no such register."""
    repository = RegistriesRepository(session)
    register = await repository.register(register_name)
    if register is None:
        return None
    found = await repository.record_with_subject_field(register.id, record_key)
    if found is None:
        # The record is gone, so its subject field cannot be read: look for reads logged under its key,
        # as `log_reads` names a record without a subject value.
        return ReadSubject(RegisterSummary.of(register), record_key, record_key)
    record, subject_field = found
    subject_id = subject_id_of(record.content, record.record_key, subject_field) if subject_field else None
    return ReadSubject(RegisterSummary.of(register), record.record_key, subject_id or record.record_key)


async def reads_about(
    session: AsyncSession,
    subject: ReadSubject,
    *,
    before: tuple[datetime, int | None] | None = None,
    limit: int,
) -> list[RecordRead]:
    """The logged reads of the subject's records, newest first, older than `before` (time, read id; an
    id of None keeps every read at that time)."""
    uses = await RegistriesRepository(session).personal_data_uses_before(
        subject.register.id, subject.subject_id, before=before, limit=limit
    )
    return [RecordRead.of(use) for use in uses]
