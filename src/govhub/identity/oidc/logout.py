"""Logout: what happens to the services a person signed in to when their browser session ends."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession


async def sessions_ended(session: AsyncSession, sids: Sequence[str]) -> None:
    """Called by the account pages when browser sessions end (sign out, sign out everywhere): every
    service signed in through them is to be told by back-channel logout. (Being built.)"""
    del session, sids
