"""Shared by the tests of sessions that time out: browser sessions and the services signed in through them
made directly in the database with the times a test needs, and a service's back-channel logout endpoint
served for real on a loopback port."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from fastapi import FastAPI, Form, Response
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.sessions import ABSOLUTE_TIMEOUT
from govhub.identity.oidc.models import ClientSession
from govhub.kit.clock import utcnow
from tests.support.live_server import serve_in_thread


@dataclass
class LogoutEndpoint:
    """A service's back-channel logout endpoint: keeps every logout token it is sent, answers 200."""

    base_url: str = ""
    received: list[str] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return self.base_url + "/backchannel-logout"


@pytest.fixture
def logout_endpoint() -> Iterator[LogoutEndpoint]:
    endpoint = LogoutEndpoint()
    app = FastAPI()

    @app.post("/backchannel-logout")
    async def backchannel_logout(logout_token: str = Form()) -> Response:
        endpoint.received.append(logout_token)
        return Response(status_code=200)

    with serve_in_thread(app) as base_url:
        endpoint.base_url = base_url
        yield endpoint


async def browser_session(
    db: AsyncSession, account: Account, *, started: datetime, last_seen: datetime | None = None
) -> SignInSession:
    """A signed-in browser session that began at `started` (so it expires `ABSOLUTE_TIMEOUT` later) and
    was last used at `last_seen` (default: just now)."""
    row = SignInSession(
        sid=secrets.token_urlsafe(32),
        token_hash=secrets.token_hex(32),
        account_id=account.id,
        auth_level="Cl",
        created_at=started,
        authenticated_at=started,
        last_seen_at=last_seen or utcnow(),
        expires_at=started + ABSOLUTE_TIMEOUT,
        user_agent="",
        ip_address="",
    )
    db.add(row)
    await db.flush()
    return row


async def signed_in_to(db: AsyncSession, sign_in: SignInSession, *client_ids: str) -> None:
    """Services signed in through `sign_in`, as the authorization journey records them."""
    for client_id in client_ids:
        db.add(
            ClientSession(
                sid=sign_in.sid, client_id=client_id, account_id=sign_in.account_id, signed_in_at=utcnow()
            )
        )
    await db.flush()
