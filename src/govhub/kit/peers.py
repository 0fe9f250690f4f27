"""The address a request came from, as the transport says: the socket peer. Never judged from a header such
as X-Forwarded-For, which whoever sends the request writes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

from starlette.requests import HTTPConnection


def peer_address(connection: HTTPConnection) -> IPv4Address | IPv6Address | None:
    """The socket peer's address, or None when the server names none (or not an IP address). An IPv6
    zone (`fe80::1%eth0`) is dropped, and a dual-stack socket's view of an IPv4 peer (`::ffff:127.0.0.1`)
    is that IPv4 address."""
    if connection.client is None:
        return None
    try:
        peer = ip_address(connection.client.host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(peer, IPv6Address) and peer.ipv4_mapped is not None:
        return peer.ipv4_mapped
    return peer


def is_loopback_peer(connection: HTTPConnection) -> bool:
    """Whether the request comes from this machine (a loopback address)."""
    peer = peer_address(connection)
    return peer is not None and peer.is_loopback
