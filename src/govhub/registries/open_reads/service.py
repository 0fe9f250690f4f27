"""The fast path of GovStack's `read`: an open register's record named by its key alone, by a point read
outside the request's unit of work. Anything else (another query, a register that is not open, a miss, a
busy database) returns None and goes the ordinary way, which also gives every error its answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govhub.registries.access import anyone_may_read
from govhub.registries.open_reads.repository import RecordPointReads
from govhub.registries.repository import same_json_value


async def read_open_record(
    reads: RecordPointReads, name: str, version: str, query: Mapping[str, Any]
) -> dict[str, Any] | None:
    if len(query) != 1:
        return None
    ((field, value),) = query.items()
    if isinstance(value, bool) or not isinstance(value, (str, int)) or "\x00" in str(value):
        return None
    found = await reads.current(name, version, str(value))
    if found is None:
        return None
    classification, key_field, content = found
    # The same rule as the unit of work's (`RegistriesService.open`): only a register anyone may read,
    # whose reads are never logged, is answered here.
    if not anyone_may_read(classification) or field != key_field or not isinstance(content, dict):
        return None
    return content if same_json_value(content, field, value) else None
