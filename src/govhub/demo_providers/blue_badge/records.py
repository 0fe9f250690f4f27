"""The trust's demo records, keyed by X-Road-UserId (the person's id for the trust's member: pairwise, made
by the gateway from the citizen's own access token, never their id at govhub). Kept in a JSON file that
`govhub demo load` writes, read again when it changes, so the provider answers for people loaded after it
started."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REASONS = ("pip-mobility", "war-pension", "registered-blind", "none")


@dataclass(frozen=True)
class Record:
    eligible: bool
    reason: str
    badge_holder: bool
    valid_until: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "reason": self.reason,
            "badgeHolder": self.badge_holder,
            "validUntil": self.valid_until,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Record:
        reason = str(value.get("reason", "none"))
        return cls(
            eligible=bool(value.get("eligible")),
            reason=reason if reason in REASONS else "none",
            badge_holder=bool(value.get("badgeHolder")),
            valid_until=value.get("validUntil"),
        )


class Records:
    """Records by user id: given (tests) or from `path`, re-read when its modification time changes."""

    def __init__(self, path: str | None = None, records: dict[str, Record] | None = None) -> None:
        self.path = Path(path) if path else None
        self._records: dict[str, Record] = dict(records or {})
        self._stamp: float | None = None

    def _reload(self) -> None:
        if self.path is None:
            return
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError:
            self._records, self._stamp = {}, None
            return
        if stamp == self._stamp:
            return
        document = json.loads(self.path.read_text())
        self._records = {str(k): Record.from_json(v) for k, v in document.items() if isinstance(v, dict)}
        self._stamp = stamp

    def of(self, user_id: str) -> Record | None:
        self._reload()
        return self._records.get(user_id)


def write_records(path: str, records: dict[str, Record]) -> None:
    """Write the records file whole (never half-written), merging with what is there."""
    target = Path(path)
    current: dict[str, Any] = json.loads(target.read_text()) if target.exists() else {}
    current.update({user_id: record.as_json() for user_id, record in records.items()})
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(current, handle, indent=2, sort_keys=True)
    temporary.replace(target)
