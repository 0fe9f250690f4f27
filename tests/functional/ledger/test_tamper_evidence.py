"""Change what is stored directly in the database, as an attacker or a broken disk would, and show that the
outside auditor and the operator's storage check both catch it and say where."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger.audit import AuditFailed, audit
from govhub.ledger.integrity import check_storage
from govhub.ledger.merkle import leaf_hash
from govhub.ledger.models import LedgerLeaf, LedgerLog, LedgerNode
from govhub.ledger.note import NoteSigner
from govhub.ledger.service import LedgerService
from tests.support.ledgers import create_ledger, sample_leaves

NAME = "tamper-test"


@pytest.fixture
async def ledger(session: AsyncSession, settings: Settings) -> LedgerService:
    service = await create_ledger(session, settings, NAME, sample_leaves(50), batch=7)
    await session.commit()
    return service


async def _log_id(session: AsyncSession, name: str = NAME) -> int:
    found = await session.scalar(select(LedgerLog.id).where(LedgerLog.name == name))
    assert found is not None
    return found


async def _findings(service: LedgerService) -> list[str]:
    return await check_storage(service.repository, await service.head(NAME))


async def test_an_untouched_ledger_passes_both_checks(
    ledger: LedgerService, client: httpx.AsyncClient
) -> None:
    report = await audit(client, NAME)
    assert report.entries_checked == 50
    assert report.inclusion_proofs_checked == 50
    assert await _findings(ledger) == []


async def test_a_changed_leaf_is_caught_at_its_index(
    ledger: LedgerService, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    log_id = await _log_id(session)
    await session.execute(
        update(LedgerLeaf).where(LedgerLeaf.log_id == log_id, LedgerLeaf.idx == 17).values(data=b"forged")
    )
    await session.commit()

    with pytest.raises(AuditFailed, match="entry 17: the stored leaf hash is not"):
        await audit(client, NAME)
    assert await _findings(ledger) == [
        "leaf 17: its bytes do not hash to the stored leaf hash (level 0, index 17)"
    ]


async def test_a_leaf_rewritten_with_its_hash_breaks_the_signed_root(
    ledger: LedgerService, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    log_id = await _log_id(session)
    await session.execute(
        update(LedgerLeaf).where(LedgerLeaf.log_id == log_id, LedgerLeaf.idx == 3).values(data=b"forged")
    )
    await session.execute(
        update(LedgerNode)
        .where(LedgerNode.log_id == log_id, LedgerNode.level == 0, LedgerNode.idx == 3)
        .values(hash=leaf_hash(b"forged"))
    )
    await session.commit()

    with pytest.raises(AuditFailed, match=r"root recomputed from the 50 entries .* the entries were changed"):
        await audit(client, NAME)
    assert await _findings(ledger) == ["node level 1, index 1: not the hash of its two children"]


async def test_a_changed_node_hash_breaks_the_proofs_that_use_it(
    ledger: LedgerService, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    log_id = await _log_id(session)
    await session.execute(
        update(LedgerNode)
        .where(LedgerNode.log_id == log_id, LedgerNode.level == 2, LedgerNode.idx == 1)
        .values(hash=b"\x00" * 32)
    )
    await session.commit()

    with pytest.raises(AuditFailed, match=r"inclusion proof for entry \d+ fails"):
        await audit(client, NAME)
    findings = await _findings(ledger)
    assert "node level 2, index 1: not the hash of its two children" in findings
    assert "node level 3, index 0: not the hash of its two children" in findings


async def test_a_rewritten_history_fails_consistency_with_a_saved_checkpoint(
    ledger: LedgerService, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    saved = (await client.get(f"/ledgers/{NAME}/checkpoint")).text
    head = await ledger.head(NAME)
    # The operator quietly swaps in a rebuilt ledger, entry 10 changed, and grows it so the size moves on.
    forged = sample_leaves(60)
    forged[10] = b"rewritten"
    await create_ledger(session, settings, "forged", forged)
    await session.execute(update(LedgerLog).where(LedgerLog.name == NAME).values(name="hidden"))
    await session.execute(
        update(LedgerLog).where(LedgerLog.name == "forged").values(name=NAME, origin=head.origin)
    )
    await session.commit()

    # On its own the forged ledger is self-consistent and properly signed...
    assert (await audit(client, NAME)).entries_checked == 60
    # ...but not an extension of what the auditor saw before.
    with pytest.raises(AuditFailed, match=r"not an extension of the saved checkpoint \(size 50\)"):
        await audit(client, NAME, since=saved)


async def test_a_ledger_that_shrank_is_caught(
    ledger: LedgerService, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    saved = (await client.get(f"/ledgers/{NAME}/checkpoint")).text
    head = await ledger.head(NAME)
    await create_ledger(session, settings, "shorter", sample_leaves(20))
    await session.execute(update(LedgerLog).where(LedgerLog.name == NAME).values(name="hidden"))
    await session.execute(
        update(LedgerLog).where(LedgerLog.name == "shorter").values(name=NAME, origin=head.origin)
    )
    await session.commit()
    with pytest.raises(AuditFailed, match="the ledger shrank: it had 50 entries, now it has 20"):
        await audit(client, NAME, since=saved)


@pytest.mark.usefixtures("ledger")
async def test_a_checkpoint_signed_by_another_key_is_refused(client: httpx.AsyncClient) -> None:
    stranger = NoteSigner.generate("127.0.0.1:8000/ledger")
    with pytest.raises(AuditFailed, match="checkpoint rejected"):
        await audit(client, NAME, trusted_keys=[stranger.verifier_key()])
