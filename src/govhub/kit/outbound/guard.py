"""The outbound-address guard: the one check before the platform connects to an address a member gave it
(a service's base URL; later webhooks, callbacks, conformance checks). See `govhub.kit.outbound`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import ip_address
from typing import Protocol
from urllib.parse import urlsplit

from govhub.kit.outbound.addresses import (
    METADATA_NAMES,
    IPAddress,
    IPNetwork,
    allowed_by,
    refusal_reason,
)
from govhub.kit.outbound.resolvers import NotResolved, Resolver, StaticResolver, SystemResolver

#: The last label of a host written as a number (`127.1`, `0x7f.1`, `2130706433`): such hosts are read as
#: IPv4 addresses by some resolvers and browsers (WHATWG "ends in a number") and as names by others.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_MAX_LITERALS = 4096


class AddressRefused(OSError):
    """The platform will not connect to `host`: `reason` says why, naming the address when there is one.

    An `OSError`, so that an HTTP client's resolver can raise it where it would raise a resolution error
    (aiohttp then wraps it in `ClientConnectorDNSError`, whose `os_error` it is)."""

    def __init__(self, host: str, reason: str, address: IPAddress | None = None) -> None:
        self.host = host
        self.reason = reason
        self.address = address
        super().__init__(reason)


class Unresolvable(AddressRefused):
    """The host has no address: refused at registration (nothing to check), a network error on a call."""


class OutboundSettings(Protocol):
    """What the guard takes from `govhub.config.Settings` (kit imports no settings module)."""

    @property
    def gateway_allowed_networks(self) -> list[IPNetwork]: ...
    @property
    def outbound_hosts(self) -> dict[str, list[IPAddress]]: ...
    @property
    def outbound_dns(self) -> bool: ...
    @property
    def gateway_connect_timeout(self) -> float: ...


def normalised_host(host: str) -> str:
    """A host as the resolver is asked for it: lower case, no trailing dot, IDNA (punycode) for
    non-ASCII names; `ValueError` when it is not a usable host name."""
    name = host.strip().lower().rstrip(".")
    if not name or len(name) > 253:
        raise ValueError("not a host name")
    if not name.isascii():
        name = name.encode("idna").decode("ascii")  # UnicodeError is a ValueError
    return name


def ip_literal(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (IPv6 with or without brackets), else None."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ip_address(text)
    except ValueError:
        return None


class OutboundGuard:
    """Refuses every address that is not public (`addresses.refusal_reason`) unless it lies in one of
    `allowed_networks` (an operator's `GOVHUB_GATEWAY_ALLOWED_NETWORKS`), and the metadata services' host
    names always. Names are resolved through `resolver`.

    Two uses: `check_url`/`check_host` when an address is given (every address the name has must pass: a
    name that also points inside is refused, so the member hears of it at once), and `connectable` when
    connecting (the addresses that pass, to connect to those and no others: the address is pinned for the
    connection, so a name that changes its answer after the check gains nothing)."""

    def __init__(self, allowed_networks: Iterable[IPNetwork] = (), resolver: Resolver | None = None) -> None:
        self.allowed_networks: tuple[IPNetwork, ...] = tuple(allowed_networks)
        self.resolver: Resolver = resolver or SystemResolver()
        #: IP literal hosts already judged: the address, or why it is refused (a fresh exception is raised
        #: each time: one raised again would grow its traceback).
        self._literals: dict[str, IPAddress | tuple[str, IPAddress] | None] = {}

    @classmethod
    def from_settings(cls, settings: OutboundSettings) -> OutboundGuard:
        """The guard the settings describe: `outbound_hosts` answered first, then the system's resolver
        unless `outbound_dns` is off."""
        system = SystemResolver(timeout=settings.gateway_connect_timeout) if settings.outbound_dns else None
        resolver: Resolver
        if settings.outbound_hosts or system is None:
            resolver = StaticResolver(settings.outbound_hosts, then=system)
        else:
            resolver = system
        return cls(settings.gateway_allowed_networks, resolver)

    def refusal(self, host: str, address: IPAddress) -> AddressRefused | None:
        """Why `address` (of `host`) may not be connected to, or None."""
        if allowed_by(address, self.allowed_networks):
            return None
        reason = refusal_reason(address)
        if reason is None:
            return None
        shown = str(address)
        said = (
            f"{shown} is {reason}"
            if host in {shown, f"[{shown}]"}
            else f"{host} resolves to {shown}, {reason}"
        )
        return AddressRefused(host, said, address)

    def check_literal(self, host: str) -> IPAddress | None:
        """When `host` is an IP literal: the address, or `AddressRefused`; None for a name (no lookup). A
        fast path for a connection whose client resolves no literal (aiohttp), remembered per host."""
        if host in self._literals:
            known = self._literals[host]
        else:
            address = ip_literal(host)
            refused = None if address is None else self.refusal(host, address)
            known = address if refused is None or address is None else (refused.reason, address)
            if len(self._literals) < _MAX_LITERALS:
                self._literals[host] = known
        if isinstance(known, tuple):
            raise AddressRefused(host, known[0], known[1])
        return known

    async def _resolved(self, host: str) -> tuple[str, list[IPAddress]]:
        literal = ip_literal(host)
        if literal is not None:
            return host, [literal]
        try:
            name = normalised_host(host)
        except ValueError:
            raise AddressRefused(host, f"{host[:80]!r} is not a host name") from None
        if name in METADATA_NAMES:
            raise AddressRefused(host, f"{name} is the name of a cloud metadata service")
        if _NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
            raise AddressRefused(
                host, f"{name} is a number, not a host name: write an IP address in its usual form"
            )
        try:
            return name, await self.resolver.resolve(name)
        except NotResolved as error:
            raise Unresolvable(host, f"{name} cannot be resolved ({error})") from None

    async def check_host(self, host: str) -> list[IPAddress]:
        """All of `host`'s addresses, when every one may be connected to; else `AddressRefused` naming the
        first that may not (or `Unresolvable`)."""
        name, addresses = await self._resolved(host)
        for address in addresses:
            refused = self.refusal(name, address)
            if refused is not None:
                raise refused
        return addresses

    async def check_url(self, url: str) -> list[IPAddress]:
        """`check_host` for the host of an http or https URL."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise AddressRefused(url[:80], "only http and https URLs with a host are called")
        return await self.check_host(parts.hostname)

    async def connectable(self, host: str) -> list[IPAddress]:
        """The addresses of `host` that may be connected to, in the resolver's order (others are left out);
        `AddressRefused` for the first refused one when none may, `Unresolvable` when there is none."""
        name, addresses = await self._resolved(host)
        allowed: list[IPAddress] = []
        first: AddressRefused | None = None
        for address in addresses:
            refused = self.refusal(name, address)
            if refused is None:
                allowed.append(address)
            elif first is None:
                first = refused
        if not allowed:
            assert first is not None  # noqa: S101 (a resolver returns at least one address)
            raise first
        return allowed
