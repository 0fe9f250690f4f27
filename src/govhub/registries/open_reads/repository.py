"""The point read behind `read`'s fast path: a record of a register by key, with what the access rule needs
(the register's classification, the version's key field), in one statement outside any unit of work
(`govhub.db.point_reads`)."""

from __future__ import annotations

from typing import Any

from govhub.db import PointReader, json_value

_CURRENT_BY_KEY = """
SELECT reg.classification,
  (SELECT ver.key_field FROM registry_versions AS ver
    WHERE ver.register_id = reg.id AND ver.version = :version),
  (SELECT rec.content FROM registry_records AS rec
    WHERE rec.register_id = reg.id AND rec.record_key = :record_key)
FROM registry_registers AS reg
WHERE reg.name = :name
"""


class RecordPointReads:
    """Records read by key outside the unit of work (`govhub.db.point_reads`)."""

    def __init__(self, point_reads: PointReader) -> None:
        self.point_reads = point_reads

    async def current(self, name: str, version: str, key: str) -> tuple[str, str, Any] | None:
        """(classification, key field, content) of the record, or None if not found this way."""
        parameters = {"name": name, "version": version, "record_key": key}
        row = await self.point_reads.one(_CURRENT_BY_KEY, parameters)
        if row is None or row[1] is None or row[2] is None:
            return None
        return str(row[0]), str(row[1]), json_value(row[2])
