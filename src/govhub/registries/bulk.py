"""Writing records created in bulk (`RegistriesService.create_many`, `govhub registry load`): what the
service's `_record` writes for any change (each record an entry in the register and a leaf in its ledger,
the current records and their counts), for new records only, and in the order that lets PostgreSQL work
while this process does.

The records go first, each row made only when it is sent, with its entry and leaf: on PostgreSQL they
stream into one COPY, and the server stores (heap, indexes, foreign-key checks) the records already sent
while this process hashes the next ones, on the other core. Then the ledger append, which gives the entries
their ledger indexes, and the entries. All in the caller's unit of work: nothing is written unless all is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from govhub.kit.clock import utcnow
from govhub.ledger import LedgerService
from govhub.registries.leaves import EntryMaker
from govhub.registries.models import Register, RegisterVersion
from govhub.registries.records import search_text
from govhub.registries.repository import RegistriesRepository
from govhub.registries.value_counts import count_changes


async def write_new_records(
    repository: RegistriesRepository,
    ledgers: LedgerService,
    register: Register,
    version: RegisterVersion,
    *,
    count: int,
    records: Iterable[tuple[str, dict[str, Any]]],
) -> None:
    """Write `records` of `version` (key and content, each valid, their keys found absent under the
    register's lock, taken when the register had `count` entries)."""
    created = list(records)
    maker = EntryMaker(register, version, utcnow())
    entries: list[dict[str, Any]] = []
    leaves: list[bytes] = []

    def record_rows() -> Iterator[dict[str, Any]]:
        for number, (key, content) in enumerate(created, start=count + 1):
            entry, entry_leaf = maker.make(number, "create", key, content)
            entries.append(entry)
            leaves.append(entry_leaf)
            yield {
                "register_id": register.id,
                "record_key": key,
                "search_text": search_text(content),
                "content": content,
                "version_id": version.id,
                "entry_number": number,
                "updated_at": maker.now,
            }

    await repository.insert_new_record_rows(record_rows(), len(created))
    appended = await ledgers.append(register.ledger_name, leaves)
    for position, entry in enumerate(entries):
        entry["ledger_index"] = appended.first_index + position
    await repository.append_entries(entries, register.id, count + len(created))
    changes = await count_changes(repository, register.indexed_fields, {}, dict(created))
    await repository.add_counts(register.id, changes)
