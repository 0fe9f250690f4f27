"""Counts of current records: in all (field and value `""`) and per value of each indexed field, so that
a page's `count` is one row read rather than a count of every match (200,000 records of a million share
a school's phase). Kept in the transaction that changes the records, from each changed record's content
before and after the change.

A value is counted under the text its field's index holds (`RegistriesRepository.field_text`): the
string itself, an integer's digits, and a boolean as the backend spells it; other values (numbers with a
fraction, objects, lists) are spelt by the database itself, as rare as they are in an indexed field."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from govhub.registries.repository import RegistriesRepository

#: The field and value under which a register's total is counted.
TOTAL = ""
_INT64 = range(-(2**63), 2**63)


async def value_text(repository: RegistriesRepository, value: Any) -> str | None:
    """`value` as its field's index spells it; None for JSON null and absent fields (not indexed)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("true" if value else "false") if repository.dialect == "postgresql" else str(int(value))
    if isinstance(value, str):
        return value
    if isinstance(value, int) and value in _INT64:
        return str(value)
    return await repository.json_value_text(value)


async def count_changes(
    repository: RegistriesRepository,
    fields: Mapping[str, bool],
    before: Mapping[str, Mapping[str, Any] | None],
    after: Mapping[str, Mapping[str, Any] | None],
) -> Counter[tuple[str, str]]:
    """How the counts move when each record key goes from `before[key]` to `after[key]` (None: absent)."""
    changes: Counter[tuple[str, str]] = Counter()
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        for content, step in ((old, -1), (new, 1)):
            if content is None:
                continue
            changes[(TOTAL, TOTAL)] += step
            for field in fields:
                value = content.get(field)
                # Text, the usual value of an indexed field, spells itself: no coroutine for it.
                text = value if isinstance(value, str) else await value_text(repository, value)
                if text is not None:
                    changes[(field, text)] += step
    return Counter({counted: step for counted, step in changes.items() if step})
