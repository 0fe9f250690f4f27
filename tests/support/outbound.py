"""The outbound-address guard in tests: no lookup leaves the machine (`GOVHUB_OUTBOUND_DNS` off), the
made-up names tests register answer from a map, and loopback is allowed where a test runs its providers on
loopback ports (as `make run` allows it for the demo providers)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from govhub.kit.outbound import OutboundGuard, StaticResolver

#: A public address the made-up names resolve to. Nothing in the suite connects to it: the services
#: registered at those names are only read back, never called.
PUBLIC_ADDRESS = "93.184.215.14"
#: Names tests register services at (`.example` is reserved, RFC 2606: none of them exists).
TEST_HOSTS: dict[str, list[IPv4Address | IPv6Address]] = {
    name: [ip_address(PUBLIC_ADDRESS)]
    for name in ("badges.example", "badges.borsetshire.example", "v2.badges.example", "badges.test")
}
LOOPBACK: list[IPv4Network | IPv6Network] = [ip_network("127.0.0.0/8"), ip_network("::1/128")]


def names_resolver() -> StaticResolver:
    return StaticResolver(TEST_HOSTS)


def loopback_guard() -> OutboundGuard:
    """A guard that lets the suite's loopback providers through (and resolves the test names)."""
    return OutboundGuard(LOOPBACK, names_resolver())


def public_guard() -> OutboundGuard:
    """A guard as production has it: public addresses only (the test names resolve to one)."""
    return OutboundGuard((), names_resolver())
