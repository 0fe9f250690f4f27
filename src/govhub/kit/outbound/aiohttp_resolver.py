"""The guard as aiohttp's resolver: a `TCPConnector(resolver=GuardedResolver(guard))` connects only to
addresses the guard let through, the very addresses it checked (pinned: nothing resolves the name again
between the check and the connection). aiohttp never asks its resolver about IP literals: a caller checks
those with `OutboundGuard.check_literal` before the request."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from govhub.kit.outbound.guard import AddressRefused, OutboundGuard


class GuardedResolver(AbstractResolver):
    def __init__(self, guard: OutboundGuard) -> None:
        self.guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self.guard.connectable(host)
        results: list[ResolveResult] = []
        for address in addresses:
            found = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            if family in (socket.AF_UNSPEC, found):
                results.append(
                    ResolveResult(
                        hostname=host,
                        host=str(address),
                        port=port,
                        family=found,
                        proto=0,
                        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                    )
                )
        if not results:
            raise AddressRefused(host, f"{host} has no permitted address of the family the connection needs")
        return results

    async def close(self) -> None:
        """Nothing to release: the guard's resolver keeps no connection."""
