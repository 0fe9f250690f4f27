"""Authoritative registers: schema, records, history, proofs, open-data export.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.

This module is the block's public face: other blocks import only the names in `__all__`, from here. It
stays import-light (the exchange imports it and registries imports the exchange): each name is imported
on first use, and the imports under TYPE_CHECKING give type checkers the real names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govhub.registries.access import (
        ReadSubject,
        anyone_may_read,
        read_subject,
        reads_about,
        subject_id_of,
    )
    from govhub.registries.models import PersonalDataUse, Register

__all__ = [
    "PersonalDataUse",
    "ReadSubject",
    "Register",
    "anyone_may_read",
    "read_subject",
    "reads_about",
    "subject_id_of",
]

#: Where each name lives.
_WHERE: dict[str, str] = {
    # Who may read a register without a grant, and which reads of a person's record happened (the data
    # tracker's view of the registers): one rule each, for every path.
    "ReadSubject": "govhub.registries.access",
    "anyone_may_read": "govhub.registries.access",
    "read_subject": "govhub.registries.access",
    "reads_about": "govhub.registries.access",
    "subject_id_of": "govhub.registries.access",
    # The types the reads come back as.
    "PersonalDataUse": "govhub.registries.models",
    "Register": "govhub.registries.models",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562), so importing the face imports nothing else."""
    try:
        module_name = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
