"""Rotating the checkpoint key: new checkpoints carry the new key, old ones stay verifiable."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.audit import AuditFailed, audit
from govhub.ledger.keys import rotate_development_key
from govhub.ledger.note import NoteVerifier, open_note
from govhub.ledger.repository import LedgerRepository
from tests.support.keys import TEST_LEDGER_KEY
from tests.support.ledgers import create_ledger, sample_leaves


async def test_old_checkpoints_verify_after_a_rotation(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    service = await create_ledger(session, settings, "rotating", sample_leaves(10))
    await session.commit()
    before = (await client.get("/ledgers/rotating/checkpoint")).text
    old_key = (await client.get("/ledgers/rotating/key")).text.strip()

    await rotate_development_key(settings, LedgerRepository(session))
    await service.append("rotating", sample_leaves(5, prefix="later"))
    await session.commit()
    app.state.ledger_keyring = None  # what a restart of the app node does

    new_key = (await client.get("/ledgers/rotating/key")).text.strip()
    after = (await client.get("/ledgers/rotating/checkpoint")).text
    assert new_key != old_key
    keys = (await client.get("/ledgers/rotating/keys")).json()
    assert keys == {"current": new_key, "all": [old_key, new_key]}
    published = [NoteVerifier.from_verifier_key(key) for key in keys["all"]]
    assert open_note(before, published)[1][0].verifier_key() == old_key
    assert open_note(after, published)[1][0].verifier_key() == new_key

    report = await audit(client, "rotating", trusted_keys=keys["all"], since=before)
    assert report.consistent_with == 10
    with pytest.raises(AuditFailed, match="checkpoint rejected"):
        await audit(client, "rotating", trusted_keys=[old_key])


async def test_a_configured_key_signs_and_is_published(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    app.state.settings = configured = settings.model_copy(update={"ledger_signing_key": TEST_LEDGER_KEY})
    await create_ledger(session, configured, "configured", sample_leaves(3))
    await session.commit()
    key = (await client.get("/ledgers/configured/key")).text.strip()
    assert key == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    assert key in (await client.get("/ledgers/configured/keys")).json()["all"]
    assert (await audit(client, "configured", trusted_keys=[key])).entries_checked == 3
