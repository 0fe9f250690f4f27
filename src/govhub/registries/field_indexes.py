"""A register's field indexes: which exist is decided by its newest version's schema (`x-govhub-indexed`,
`x-govhub-unique`); records of every version are searched, and kept unique, alike. The key field has its
own unique index already."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError

from govhub.kit.constraints import violated_constraint
from govhub.registries.errors import DuplicateRecord
from govhub.registries.models import Register, RegisterVersion
from govhub.registries.records import indexed_fields
from govhub.registries.repository import RegistriesRepository, field_index_name


async def sync_field_indexes(repository: RegistriesRepository, register: Register) -> None:
    """Create the indexes the newest version marks and drop the rest, in the caller's transaction. A
    unique index that current records already break is refused with DuplicateRecord."""
    versions = await repository.versions(register.id)
    newest = versions[-1] if versions else None
    wanted = {} if newest is None else indexed_fields(newest.record_schema)
    if newest is not None:
        wanted.pop(newest.key_field, None)
    names = {field_index_name(register.id, f, unique=u): (f, u) for f, u in wanted.items()}
    existing = await repository.field_indexes(register.id)
    register_id, register_name, counted = register.id, register.name, dict(register.indexed_fields)
    for field in counted.keys() - wanted.keys():
        await repository.drop_field_counts(register_id, field)
    for name in sorted(existing - names.keys()):
        await repository.drop_field_index(name)
    for name, (field, unique) in names.items():
        if name not in existing:
            try:
                await repository.create_field_index(register_id, field, unique=unique)
            except IntegrityError:
                raise DuplicateRecord(
                    f"Field {field!r} cannot be unique in register {register_name!r}: current records "
                    "share values of it."
                ) from None
        if field not in counted:
            await repository.count_field_values(register_id, field)
    register.indexed_fields = wanted


def unique_index_fields(register: Register, version: RegisterVersion) -> dict[str, str]:
    """The name a unique index of each of `version`'s fields would have, and the field: what a unique
    violation names, read back as the field."""
    return {
        field_index_name(register.id, str(field), unique=True): str(field)
        for field in version.record_schema.get("properties", {})
    }


def unique_violation(
    error: IntegrityError, unique_fields: Mapping[str, str], register_name: str
) -> DuplicateRecord | None:
    """A unique field's violation as the caller's `DuplicateRecord`; None for any other error."""
    field = unique_fields.get(violated_constraint(error) or "")
    if field is None:
        return None
    return DuplicateRecord(
        f"Another record of register {register_name!r} has that {field}; {field} is unique."
    )
