"""RFC 9162 verifiable logs: append, signed checkpoints, inclusion and consistency proofs.

This module is the ledger's public face: other blocks import these names from `govhub.ledger`, never from
its submodules. Blocks append to their own ledgers through `LedgerService` (in a request, through the
`Ledgers` dependency; the node's signing keys through `keyring_of`); the CLI audits and repairs ledgers.
"""

from govhub.ledger.audit import AuditFailed, AuditReport, audit, open_ledger_checkpoint
from govhub.ledger.dependencies import Ledgers, keyring_of, ledger_service
from govhub.ledger.integrity import check_storage
from govhub.ledger.keys import Keyring, key_name, rotate_development_key
from govhub.ledger.note import NoteError, NoteSigner, NoteVerifier
from govhub.ledger.service import AppendMemo, AppendResult, LedgerService

__all__ = [
    "AppendMemo",
    "AppendResult",
    "AuditFailed",
    "AuditReport",
    "Keyring",
    "LedgerService",
    "Ledgers",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "audit",
    "check_storage",
    "key_name",
    "keyring_of",
    "ledger_service",
    "open_ledger_checkpoint",
    "rotate_development_key",
]
