"""The request's peer address is what the transport saw, in the one form the checks compare: an IPv6 zone
dropped, a dual-stack socket's IPv4-mapped address as the IPv4 address it is."""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from starlette.requests import Request

from govhub.kit.peers import is_loopback_peer, peer_address


def _request(client: tuple[str, int] | None, headers: list[tuple[bytes, bytes]] | None = None) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers or [], "client": client})


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_peer_is_the_socket_address_in_one_form(host: str, expected: str) -> None:
    assert peer_address(_request((host, 5000))) == ip_address(expected)


@pytest.mark.parametrize("client", [None, ("testclient", 5000), ("", 0)])
def test_no_address_is_no_peer_and_not_this_machine(client: tuple[str, int] | None) -> None:
    assert peer_address(_request(client)) is None
    assert not is_loopback_peer(_request(client))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_peers_are_this_machine(host: str) -> None:
    assert is_loopback_peer(_request((host, 5000)))


def test_an_address_header_does_not_make_a_remote_peer_this_machine() -> None:
    headers = [(b"x-forwarded-for", b"127.0.0.1"), (b"x-real-ip", b"::1"), (b"forwarded", b"for=127.0.0.1")]
    for host in ("203.0.113.9", "::ffff:203.0.113.9", "fe80::1%lo"):
        assert not is_loopback_peer(_request((host, 5000), headers))
