"""The one place the platform reads the time, so that every timestamp is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as ledger leaves and GovStack bodies spell times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
