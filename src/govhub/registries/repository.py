"""All SQL of the registries. Reads of records go through `readable_register`, the one chokepoint that
decides whether a caller may see a register at all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.kit.clock import utcnow
from govhub.registries.models import (
    PersonalDataUse,
    Register,
    RegisterVersion,
    RegistryEntry,
    RegistryGrant,
    RegistryRecord,
)


def _field_equals(field: str, value: Any) -> ColumnElement[bool] | None:
    """A SQL test that a record's top-level `field` equals `value`, for the JSON types SQL can compare;
    None for objects and arrays, which the caller compares in Python."""
    element = RegistryRecord.content[field]
    test: ColumnElement[bool] | None = None
    if isinstance(value, bool):
        test = element.as_boolean() == value
    elif isinstance(value, int):
        test = element.as_integer() == value
    elif isinstance(value, float):
        test = element.as_float() == value
    elif isinstance(value, str):
        test = element.as_string() == value
    return test


class RegistriesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- registers and versions -------------------------------------------------------------------

    async def registers(self) -> list[Register]:
        return list(await self.session.scalars(select(Register).order_by(Register.name)))

    async def register(self, name: str) -> Register | None:
        return await self.session.scalar(select(Register).where(Register.name == name))

    async def register_by_code(self, code: str) -> list[Register]:
        return list(await self.session.scalars(select(Register).where(Register.database_code == code)))

    async def version(self, register_id: int, version: str) -> RegisterVersion | None:
        return await self.session.scalar(
            select(RegisterVersion).where(
                RegisterVersion.register_id == register_id, RegisterVersion.version == version
            )
        )

    async def version_by_id(self, version_id: int) -> RegisterVersion:
        return await self.session.get_one(RegisterVersion, version_id)

    async def versions(self, register_id: int) -> list[RegisterVersion]:
        return list(
            await self.session.scalars(
                select(RegisterVersion)
                .where(RegisterVersion.register_id == register_id)
                .order_by(RegisterVersion.id)
            )
        )

    async def add_register(self, register: Register) -> Register:
        self.session.add(register)
        await self.session.flush()
        return register

    async def add_version(self, version: RegisterVersion) -> RegisterVersion:
        self.session.add(version)
        await self.session.flush()
        return version

    async def lock_for_entries(self, register_id: int) -> int:
        """Take the register's write lock (row lock on PostgreSQL, write lock on SQLite) before reading
        anything, and return how many entries it has."""
        count = await self.session.scalar(
            update(Register)
            .where(Register.id == register_id)
            .values(entry_count=Register.entry_count)
            .returning(Register.entry_count)
        )
        if count is None:
            raise LookupError(f"register {register_id} vanished")
        return int(count)

    # --- records ---------------------------------------------------------------------------------

    async def matching(self, register_id: int, query: Mapping[str, Any]) -> list[RegistryRecord]:
        """Current records whose top-level fields equal every value in `query`."""
        tests = [RegistryRecord.register_id == register_id]
        leftover: dict[str, Any] = {}
        for field, value in query.items():
            test = _field_equals(field, value)
            if test is None:
                leftover[field] = value
            else:
                tests.append(test)
        rows = await self.session.scalars(select(RegistryRecord).where(*tests).order_by(RegistryRecord.id))
        return [row for row in rows if all(row.content.get(f) == v for f, v in leftover.items())]

    async def by_key(self, register_id: int, key: str) -> RegistryRecord | None:
        return await self.session.scalar(
            select(RegistryRecord).where(
                RegistryRecord.register_id == register_id, RegistryRecord.record_key == key
            )
        )

    async def by_identifier(
        self, register_id: int, identifier: str, fields: Sequence[str]
    ) -> list[RegistryRecord]:
        """Records whose key, or one of `fields`, equals `identifier`: GovStack addresses records by a
        `uuid` or a person's `id` as well as by key."""
        tests = [RegistryRecord.record_key == identifier]
        tests += [RegistryRecord.content[field].as_string() == identifier for field in fields]
        rows = await self.session.scalars(
            select(RegistryRecord).where(RegistryRecord.register_id == register_id, or_(*tests)).limit(2)
        )
        return list(rows)

    async def search(
        self,
        register_id: int,
        *,
        text: str | None,
        text_field: str | None,
        equals: Mapping[str, str],
        order_field: str | None,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, list[RegistryRecord]]:
        statement = select(RegistryRecord).where(RegistryRecord.register_id == register_id)
        if text and text_field:
            field_text = func.lower(RegistryRecord.content[text_field].as_string())
            statement = statement.where(field_text.contains(text.lower(), autoescape=True))
        elif text:
            statement = statement.where(RegistryRecord.search_text.contains(text.lower(), autoescape=True))
        for field, value in equals.items():
            statement = statement.where(RegistryRecord.content[field].as_string() == value)
        count = await self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        order = RegistryRecord.content[order_field].as_string() if order_field else RegistryRecord.record_key
        statement = statement.order_by(order.desc() if descending else order.asc(), RegistryRecord.id)
        rows = await self.session.scalars(statement.offset(offset).limit(limit))
        return count, list(rows)

    async def insert_record(self, record: RegistryRecord) -> None:
        self.session.add(record)
        await self.session.flush()

    async def delete_record(self, record: RegistryRecord) -> None:
        await self.session.execute(delete(RegistryRecord).where(RegistryRecord.id == record.id))

    async def append_entries(self, entries: Sequence[RegistryEntry], register_id: int, count: int) -> None:
        self.session.add_all(entries)
        await self.session.execute(
            update(Register).where(Register.id == register_id).values(entry_count=count)
        )
        await self.session.flush()

    async def history(self, register_id: int, key: str) -> list[RegistryEntry]:
        return list(
            await self.session.scalars(
                select(RegistryEntry)
                .where(RegistryEntry.register_id == register_id, RegistryEntry.record_key == key)
                .order_by(RegistryEntry.number)
            )
        )

    # --- access ---------------------------------------------------------------------------------------

    async def has_grant(self, register_id: int, caller: str) -> bool:
        member = "/".join(caller.split("/")[:3])
        found = await self.session.scalar(
            select(RegistryGrant.id).where(
                RegistryGrant.register_id == register_id, RegistryGrant.client.in_([caller, member])
            )
        )
        return found is not None

    async def grant(self, register_id: int, client: str) -> None:
        if await self.session.scalar(
            select(RegistryGrant.id).where(
                and_(RegistryGrant.register_id == register_id, RegistryGrant.client == client)
            )
        ):
            return
        self.session.add(RegistryGrant(register_id=register_id, client=client, created_at=utcnow()))
        await self.session.flush()

    async def log_personal_data_use(self, uses: Sequence[PersonalDataUse]) -> None:
        self.session.add_all(uses)
        await self.session.flush()

    async def personal_data_uses(self, subject_id: str, register_ids: Sequence[int]) -> list[PersonalDataUse]:
        return list(
            await self.session.scalars(
                select(PersonalDataUse)
                .where(
                    PersonalDataUse.subject_id == subject_id, PersonalDataUse.register_id.in_(register_ids)
                )
                .order_by(PersonalDataUse.read_at.desc(), PersonalDataUse.id.desc())
            )
        )
