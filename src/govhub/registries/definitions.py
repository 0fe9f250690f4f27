"""What defines a register: its name, classification, owner, database code, and one schema version with
its key field (`RegisterDefinition`), and the checks a definition passes before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from govhub.registries.errors import InvalidRegister
from govhub.registries.records import schema_problems

CLASSIFICATIONS = ("open", "personal", "restricted")


@dataclass(frozen=True)
class RegisterDefinition:
    name: str
    title: str
    description: str
    classification: str
    owner: str
    database_code: str
    version: str
    record_schema: dict[str, Any]
    key_field: str
    subject_field: str | None = None
    #: The id the Database API shows for this version; None: the next free one.
    database_id: int | None = None


def check_definition(definition: RegisterDefinition) -> None:
    """`InvalidRegister` naming every problem of `definition`; nothing when it can be defined."""
    problems = schema_problems(definition.record_schema)
    if definition.classification not in CLASSIFICATIONS:
        problems.append(f"classification must be one of {', '.join(CLASSIFICATIONS)}")
    properties = definition.record_schema.get("properties", {})
    if definition.key_field not in properties:
        problems.append(f"the key field {definition.key_field!r} is not a property of the schema")
    if definition.subject_field and definition.subject_field not in properties:
        problems.append(f"the subject field {definition.subject_field!r} is not a property of the schema")
    if definition.classification == "personal" and not definition.subject_field:
        problems.append("a personal register needs a subject field naming whom each record is about")
    if not re.match(r"^[A-Za-z0-9._-]{1,100}$", definition.name):
        problems.append("the name may hold 1 to 100 letters, digits, dots, hyphens and underscores")
    if not re.match(r"^[A-Za-z0-9._-]{1,50}$", definition.version):
        problems.append("the version may hold 1 to 50 letters, digits, dots, hyphens and underscores")
    if problems:
        raise InvalidRegister("; ".join(problems) + ".")
