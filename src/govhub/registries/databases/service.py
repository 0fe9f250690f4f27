"""The GovStack Database API's view of registers: each register is a database group (its `code` is the
register's database code) and each schema version one database. Definitions change only through the
register's owner; a version that records were written with is history and is never deleted.

What a caller is shown (`RegistriesService.may_see`): open registers to anyone; a personal or restricted
register only to its owner and the callers it granted. For anyone else such a register is not in
`/databases`; its databases ask an anonymous caller to identify (401, as `/data/...` does: register names
are public) and answer a verified caller that may not use it 404, as if there were none. Neither names
the register's owner."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from govhub.kit.errors import Conflict, NotFound
from govhub.registries.caller import Caller, identify_first
from govhub.registries.definitions import RegisterDefinition
from govhub.registries.errors import InvalidRegister, NotGranted
from govhub.registries.models import Register, RegisterVersion
from govhub.registries.service import RegistriesService

_CODE = re.compile(r"^[A-Za-z0-9._-]{1,50}$")


class DatabaseNotFound(NotFound):
    slug = "database-not-found"
    title = "No such database"


class DatabaseCodeTaken(Conflict):
    slug = "database-code-taken"
    title = "Database code taken"


class VersionInUse(Conflict):
    slug = "database-in-use"
    title = "Database has records"


@dataclass(frozen=True)
class DatabaseGroup:
    register: Register
    versions: list[RegisterVersion]


def key_field_of(schema: dict[str, Any]) -> str:
    """The property GovStack marks `primaryKey: true`."""
    keys = [
        name
        for name, spec in schema.get("properties", {}).items()
        if isinstance(spec, dict) and spec.get("primaryKey")
    ]
    if len(keys) != 1:
        raise InvalidRegister("The schema must mark exactly one property with primaryKey: true.")
    return str(keys[0])


class DatabaseCatalogue:
    def __init__(self, registries: RegistriesService) -> None:
        self.registries = registries
        self.repository = registries.repository

    async def groups(self, caller: Caller) -> list[DatabaseGroup]:
        return [
            DatabaseGroup(register, await self.repository.versions(register.id))
            for register in await self.repository.registers()
            if await self.registries.may_see(register, caller)
        ]

    async def database(self, database_id: int, caller: Caller) -> tuple[RegisterVersion, Register]:
        found = await self.repository.version_by_database_id(database_id)
        hidden = found is not None and not await self.registries.may_see(found[1], caller)
        if hidden and caller.client is None:
            # Register names are public (pages, ledger names); who owns one and what it holds are not.
            raise identify_first("read this database", caller)
        if found is None or hidden:
            raise DatabaseNotFound(f"There is no database {database_id}.")
        return found

    async def modify(
        self,
        caller: Caller,
        *,
        code: str,
        catalog_name: str | None,
        schema: dict[str, Any],
        classification: str,
    ) -> RegisterVersion:
        """Create the register for database `code`, or give it a new version with this schema."""
        if caller.member is None:
            raise identify_first("define databases", caller)
        if not _CODE.match(code):
            raise InvalidRegister("code may hold 1 to 50 letters, digits, dots, hyphens and underscores.")
        key_field = key_field_of(schema)
        existing = await self.repository.register_by_code(code)
        if not existing:
            definition = RegisterDefinition(
                name=code,
                title=catalog_name or code,
                description=schema.get("description", "") or "",
                classification=classification,
                owner=caller.member,
                database_code=code,
                version="1",
                record_schema=schema,
                key_field=key_field,
                subject_field=schema.get("subjectField") if classification == "personal" else None,
            )
            register = await self.registries.define(definition)
            return (await self.repository.versions(register.id))[-1]
        register = existing[0]
        if not await self.registries.may_see(register, caller):
            # Codes are unique: saying the code is taken is unavoidable, saying by whom is not.
            raise DatabaseCodeTaken(f"The database code {code!r} is taken: choose another.")
        self._check_owner(register, caller)
        versions = await self.repository.versions(register.id)
        numbers = [int(v.version) for v in versions if v.version.isdigit()]
        latest = versions[-1]
        return await self.registries.add_version(
            RegisterDefinition(
                name=register.name,
                title=register.title,
                description=register.description,
                classification=register.classification,
                owner=register.owner,
                database_code=code,
                version=str(max(numbers, default=0) + 1),
                record_schema=schema,
                key_field=key_field,
                subject_field=latest.subject_field,
            )
        )

    async def delete(self, caller: Caller, database_id: int) -> None:
        if caller.member is None:
            raise identify_first("delete databases", caller)
        version, register = await self.database(database_id, caller)
        self._check_owner(register, caller)
        if await self.repository.versions_in_use(version.id):
            raise VersionInUse(
                f"Records were written with database {database_id}; it is part of the register's history."
            )
        await self.repository.delete_version(version)
        await self.registries.sync_field_indexes(register)

    @staticmethod
    def _check_owner(register: Register, caller: Caller) -> None:
        if caller.member != register.owner:
            raise NotGranted(
                f"Only the owner of register {register.name!r} ({register.owner}) may change it."
            )
