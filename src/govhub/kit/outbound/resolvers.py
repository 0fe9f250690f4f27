"""Name resolution for the outbound-address guard: a `Resolver` is anything that turns a host name into its
addresses. DNS of the outside world is a true outside edge, so it sits behind this protocol with two
adapters: `SystemResolver` asks the operating system's resolver (`getaddrinfo`: DNS, `/etc/hosts`, ...),
`StaticResolver` answers from a map and never leaves the process (tests; a laptop without DNS). Settings
choose (`GOVHUB_OUTBOUND_HOSTS`, `GOVHUB_OUTBOUND_DNS`)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable, Mapping
from ipaddress import ip_address
from typing import Protocol

from govhub.kit.outbound.addresses import IPAddress


class NotResolved(Exception):
    """The name has no address (no such name, no answer, or no answer in time)."""


class Resolver(Protocol):
    async def resolve(self, host: str) -> list[IPAddress]:
        """Every address of `host` (a normalised name, never an IP literal), in the resolver's order;
        `NotResolved` when there is none."""
        ...


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))


class SystemResolver:
    """The operating system's resolver, run in the event loop's executor as aiohttp's own default is."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    async def resolve(self, host: str) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise NotResolved(f"no answer within {self.timeout:g} s") from None
        except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
            raise NotResolved(str(error) or type(error).__name__) from None
        addresses = _unique(
            ip_address(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)
        )
        if not addresses:
            raise NotResolved("no IPv4 or IPv6 address")
        return addresses


class StaticResolver:
    """Names answered from a map, like a hosts file; a name not in it has no address. `then`, if given, is
    asked for names not in the map."""

    def __init__(
        self, hosts: Mapping[str, Iterable[IPAddress | str]] | None = None, then: Resolver | None = None
    ) -> None:
        self.hosts: dict[str, list[IPAddress]] = {}
        self.then = then
        for name, addresses in (hosts or {}).items():
            self.set(name, addresses)

    def set(self, name: str, addresses: Iterable[IPAddress | str]) -> None:
        """Answer `name` with `addresses` from now on (tests move a name between registration and call)."""
        self.hosts[name.lower().rstrip(".")] = _unique(ip_address(a) for a in addresses)

    async def resolve(self, host: str) -> list[IPAddress]:
        found = self.hosts.get(host)
        if found:
            return list(found)
        if self.then is not None and host not in self.hosts:
            return await self.then.resolve(host)
        raise NotResolved("not a name this platform knows")
