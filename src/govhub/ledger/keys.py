"""The key that signs checkpoints.

Production: the signed-note private key in `GOVHUB_LEDGER_SIGNING_KEY`. Development and tests: a key made
on first use and kept in the database, so every app node signs with the same one. Either way the key's
verifier half is recorded, so checkpoints signed before a rotation stay verifiable.
"""

from __future__ import annotations

from govhub.config import Settings
from govhub.ledger.note import NoteSigner
from govhub.ledger.repository import LedgerRepository


def key_name(settings: Settings) -> str:
    """Signed-note key names may not hold spaces or '+'; a host and a path never do."""
    return f"{settings.public_host}/ledger"


class Keyring:
    """Finds the signing key once per app node and keeps it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._signer: NoteSigner | None = None

    async def signer(self, repository: LedgerRepository) -> NoteSigner:
        if self._signer is None:
            self._signer = await self._load(repository)
        return self._signer

    async def _load(self, repository: LedgerRepository) -> NoteSigner:
        configured = self.settings.ledger_signing_key.get_secret_value()
        if configured:
            signer = NoteSigner.from_private_key(configured)
            await repository.record_key(signer.verifier_key(), private_key=None)
            return signer
        stored = await repository.newest_development_key()
        if stored is not None:
            return NoteSigner.from_private_key(stored)
        return await rotate_development_key(self.settings, repository)


async def rotate_development_key(settings: Settings, repository: LedgerRepository) -> NoteSigner:
    """Make a new development key; it signs from now on, and the old ones stay published."""
    signer = NoteSigner.generate(key_name(settings))
    await repository.record_key(signer.verifier_key(), private_key=signer.private_key())
    return signer
