"""The fast path of GovStack's `read` (`service`) and its point read (`repository`)."""

from govhub.registries.open_reads.repository import RecordPointReads
from govhub.registries.open_reads.service import read_open_record

__all__ = ["RecordPointReads", "read_open_record"]
