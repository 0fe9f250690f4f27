"""Factories for registries tests."""

from __future__ import annotations

from typing import Any

from govhub.registries.service import RegisterDefinition

PLATFORM = "govhub/GOV/platform"


def open_register(name: str, properties: dict[str, Any], key_field: str) -> RegisterDefinition:
    """An open register owned by the platform, version `1`, with a schema of `properties`."""
    return RegisterDefinition(
        name=name,
        title=name.title(),
        description=f"The {name} test register.",
        classification="open",
        owner=PLATFORM,
        database_code=name.upper(),
        version="1",
        record_schema={"type": "object", "properties": properties},
        key_field=key_field,
    )
