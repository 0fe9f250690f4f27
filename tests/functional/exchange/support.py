"""Factories for message log tests: exchanges as the gateway would record them, and access tokens."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.message_log.service import Exchange
from govhub.identity.accounts.models import Account
from govhub.kit.clock import utcnow
from govhub.ledger.note import NoteVerifier, open_checkpoint
from govhub.ledger.service import LedgerService
from govhub.ledger.verify import leaf_hash, verify_inclusion
from tests.support.oidc import ClientKeys, code_client, code_form, create_account, insert_code, machine_client

CLIENT = "GOV/GOV/70000001/benefits"
SERVICE = "GOV/GOV/70000002/population/person-lookup"


def exchange(**overrides: Any) -> Exchange:
    values: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "client_id": CLIENT,
        "service_id": SERVICE,
        "method": "GET",
        "path": "/people/B100001",
        "operation": "getPerson",
        "user_id": None,
        "purpose": "Checking a claim for housing benefit",
        "status": 200,
        "outcome": "ok",
        "started_at": utcnow() - timedelta(milliseconds=40),
        "duration_ms": 38,
        "request_body": b"",
        "response_body": b'{"name":"Zo\xc3\xab"}',
        **overrides,
    }
    return Exchange(**values)


#: What a service reading the person's data tracker for them holds: the person consented to `govhub:data-use`.
TRACKER_SCOPE = "openid email govhub:data-use"


async def person_token(
    client: httpx.AsyncClient, session: AsyncSession, *, scope: str = TRACKER_SCOPE
) -> tuple[Account, str]:
    """A person's account and an access token issued to them through the authorization code grant."""
    keys = ClientKeys()
    client_id = (await code_client(session, keys)).client.client_id
    account = await create_account(session)
    issued = await insert_code(session, client_id, account, scope=scope)
    response = await client.post("/token", data={**code_form(issued), **keys.auth(client_id)})
    assert response.status_code == 200, response.text
    return account, str(response.json()["access_token"])


async def machine_token(client: httpx.AsyncClient, session: AsyncSession) -> str:
    keys = ClientKeys()
    client_id = (
        await machine_client(session, keys, scopes=[f"test:{secrets.token_hex(3)}"])
    ).client.client_id
    response = await client.post("/token", data={"grant_type": "client_credentials", **keys.auth(client_id)})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def check_proof(ledgers: LedgerService, proof: dict[str, Any]) -> bytes:
    """Check a proof response with the ledger's own client-side verifier; the leaf it proves."""
    verifiers = [NoteVerifier.from_verifier_key(key) for key in await ledgers.verifier_keys()]
    checkpoint, signers = open_checkpoint(proof["checkpoint"], verifiers)
    assert signers
    assert checkpoint.size == proof["treeSize"]
    leaf = base64.b64decode(proof["leaf"])
    verify_inclusion(
        leaf_hash(leaf),
        proof["leafIndex"],
        proof["treeSize"],
        [base64.b64decode(node) for node in proof["path"]],
        checkpoint.root_hash,
    )
    return leaf


#: A service acting for the person through the gateway: the person consented to both, so it reads their
#: tracker and asks other services about them.
ACTING_SCOPE = "openid govhub:exchange-on-behalf govhub:data-use"


async def linked_person_token(
    client: httpx.AsyncClient, session: AsyncSession, subsystem: str, *, scope: str = ACTING_SCOPE
) -> tuple[Account, str, str]:
    """A person's account, an access token issued to them by a relying party linked to the exchange
    `subsystem` (its `exchange_subsystem`), and that relying party's client id."""
    keys = ClientKeys()
    client_id = (
        await code_client(
            session,
            keys,
            allowed_scopes=["openid", "email", "govhub:exchange-on-behalf", "govhub:data-use"],
            exchange_subsystem=subsystem,
        )
    ).client.client_id
    account = await create_account(session)
    issued = await insert_code(session, client_id, account, scope=scope)
    response = await client.post("/token", data={**code_form(issued), **keys.auth(client_id)})
    assert response.status_code == 200, response.text
    return account, str(response.json()["access_token"]), client_id
