"""FastAPI dependencies shared by every block: the settings, the database session, the page renderer, the
outbound-address guard.

Every dependency in govhub is `async def`, even when it does no I/O: FastAPI runs a plain `def` dependency
in its thread pool, a thread hop per dependency per request (a meta-test holds every route to this)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.db import Database
from govhub.kit.outbound import OutboundGuard
from govhub.kit.templating import Pages
from govhub.node import node_of


async def _settings(request: Request) -> Settings:
    return node_of(request).settings


async def _database(request: Request) -> Database:
    return node_of(request).database


async def _pages(request: Request) -> Pages:
    return node_of(request).pages


async def _outbound(request: Request) -> OutboundGuard:
    return node_of(request).outbound_guard


async def _unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    async with node_of(request).database.unit_of_work() as session:
        yield session


AppSettings = Annotated[Settings, Depends(_settings)]
AppDatabase = Annotated[Database, Depends(_database)]
PageRenderer = Annotated[Pages, Depends(_pages)]
#: The app's one outbound-address guard (`govhub.kit.outbound`): every URL a member gives goes through it.
Outbound = Annotated[OutboundGuard, Depends(_outbound)]
#: The request's unit of work. It commits before the response is sent, so a client never sees success
#: for a change that was then lost.
DbSession = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]
