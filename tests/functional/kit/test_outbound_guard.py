"""The outbound-address guard (`govhub.kit.outbound`), systematically: every range the platform must never
call on a member's behalf, written as an address and as a name that resolves to it, in IPv4, IPv6 and each
IPv6 form that embeds IPv4; the cloud metadata names; what an operator's allowed networks let through; and
what aiohttp is handed when it connects (only the checked addresses). DNS is the outside edge: the names
resolve from a `StaticResolver`."""

from __future__ import annotations

import socket
from ipaddress import ip_address, ip_network

import pytest

from govhub.kit.outbound import AddressRefused, OutboundGuard, StaticResolver, Unresolvable
from govhub.kit.outbound.aiohttp_resolver import GuardedResolver

#: (address, what the refusal must say), one per refused range.
REFUSED = [
    # IPv4
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared address space"),
    ("100.127.255.254", "shared address space"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 (an address under test, not a bind)
    ("0.1.2.3", "private"),  # "this network"
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "private"),  # TEST-NET-1, documentation
    ("198.51.100.1", "private"),  # TEST-NET-2
    ("203.0.113.1", "private"),  # TEST-NET-3
    ("198.18.0.1", "private"),  # benchmarking
    ("192.0.0.8", "special-purpose"),  # IETF protocol assignments
    ("192.88.99.1", "special-purpose"),  # 6to4 relay anycast (deprecated)
    # IPv6
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "private"),  # documentation
    ("3fff::1", "special-purpose"),  # documentation (RFC 9637)
    ("100::1", "reserved"),  # discard-only
    ("2001:10::1", "private"),  # ORCHID
    ("64:ff9b:1::1", "reserved"),  # local-use NAT64
    # IPv6 forms that embed a refused IPv4 address
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, a cloud metadata"),
    ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1, a private"),
    ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1"),
    ("::8.8.8.8", "IPv4-compatible address (a deprecated form)"),
    ("::ffff:0:127.0.0.1", "IPv4-translated form of 127.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
    ("2002:7f00:1::1", "6to4 form of 127.0.0.1"),
    ("2002:a9fe:a9fe::", "6to4 form of 169.254.169.254"),
    ("2002:c0a8:101::", "6to4 form of 192.168.1.1"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form of 127.0.0.1"),  # client 127.0.0.1, obfuscated
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo form of 192.0.2.45"),
]
#: Public addresses, some in an embedding form that reaches a public IPv4 address.
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


def guard(*networks: str, **hosts: list[str]) -> OutboundGuard:
    named = {name.replace("_", "-") + ".test": addresses for name, addresses in hosts.items()}
    return OutboundGuard([ip_network(n) for n in networks], StaticResolver(named))


@pytest.mark.parametrize(("address", "why"), REFUSED, ids=[a for a, _ in REFUSED])
async def test_every_non_public_range_is_refused_as_an_address_and_through_a_name(
    address: str, why: str
) -> None:
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(AddressRefused) as given:
        await guard().check_url(f"https://{literal}:8443/api")
    assert why in given.value.reason
    assert given.value.address == ip_address(address)

    named = guard(inside=[address])
    for check in (named.check_host, named.connectable):
        with pytest.raises(AddressRefused) as resolved:
            await check("inside.test")
        assert f"inside.test resolves to {ip_address(address)}" in resolved.value.reason
        assert why in resolved.value.reason

    # The connect-time check of literals (aiohttp does not resolve them).
    with pytest.raises(AddressRefused):
        guard().check_literal(address)


@pytest.mark.parametrize("address", PUBLIC)
async def test_public_addresses_pass(address: str) -> None:
    public = guard(outside=[address])
    assert await public.check_host("outside.test") == [ip_address(address)]
    assert await public.connectable("outside.test") == [ip_address(address)]
    assert public.check_literal(address) == ip_address(address)


async def test_a_name_with_one_refused_address_among_public_ones() -> None:
    """Given at registration, refused (the member hears of it); when connecting, only the public addresses
    are handed to the client, so a second record pointing inside gains nothing."""
    mixed = guard(mixed=["8.8.8.8", "10.0.0.5", "2606:4700:4700::1111"])
    with pytest.raises(AddressRefused, match=r"mixed\.test resolves to 10\.0\.0\.5, a private"):
        await mixed.check_host("mixed.test")
    assert await mixed.connectable("mixed.test") == [
        ip_address("8.8.8.8"),
        ip_address("2606:4700:4700::1111"),
    ]


async def test_metadata_names_are_refused_whatever_they_resolve_to_and_whatever_is_allowed() -> None:
    anything = OutboundGuard(
        [ip_network("0.0.0.0/0"), ip_network("::/0")],
        StaticResolver({"metadata.google.internal": ["8.8.8.8"], "instance-data": ["8.8.8.8"]}),
    )
    for name in ("metadata.google.internal", "METADATA.google.internal.", "instance-data", "metadata.goog"):
        with pytest.raises(AddressRefused, match="cloud metadata service"):
            await anything.check_url(f"http://{name}/computeMetadata/v1/")
        with pytest.raises(AddressRefused, match="cloud metadata service"):
            await anything.connectable(name)


async def test_numbers_that_some_resolvers_read_as_addresses_are_refused() -> None:
    for host in ("2130706433", "0x7f000001", "017700000001", "127.1", "0x7f.1", "10.0xa"):
        with pytest.raises(AddressRefused, match="is a number, not a host name"):
            await guard().check_url(f"http://{host}/")


async def test_an_unresolvable_host_is_refused_with_its_own_error() -> None:
    with pytest.raises(Unresolvable, match=r"nowhere\.test cannot be resolved"):
        await guard().check_url("https://nowhere.test/")


async def test_only_http_and_https_urls_with_a_host() -> None:
    for url in ("file:///etc/passwd", "gopher://8.8.8.8/", "https:///path", "ftp://8.8.8.8/"):
        with pytest.raises(AddressRefused, match="only http and https"):
            await guard().check_url(url)


async def test_an_allowed_network_lets_its_addresses_through_and_nothing_else() -> None:
    lab = guard(
        "127.0.0.0/8", "::1/128", "10.1.0.0/16", local=["127.0.0.1"], lab=["10.1.2.3"], other=["10.2.0.1"]
    )
    assert await lab.check_url("http://127.0.0.1:8002") == [ip_address("127.0.0.1")]
    assert await lab.check_url("http://[::1]:8002") == [ip_address("::1")]
    assert await lab.check_url("http://[::ffff:127.0.0.1]:8002") == [ip_address("::ffff:127.0.0.1")]
    assert await lab.check_host("local.test") == [ip_address("127.0.0.1")]
    assert await lab.check_host("lab.test") == [ip_address("10.1.2.3")]
    for host in ("other.test", "169.254.169.254", "192.168.0.1", "::2"):
        with pytest.raises(AddressRefused):
            await lab.check_host(host)


async def test_aiohttp_is_handed_only_the_checked_addresses() -> None:
    """The resolver aiohttp's connector asks: the addresses that passed, numeric, for the asked family."""
    resolver = GuardedResolver(guard(both=["8.8.8.8", "127.0.0.1", "2606:4700:4700::1111"], inside=["::1"]))
    found = await resolver.resolve("both.test", 443, socket.AF_UNSPEC)
    assert [(r["host"], r["port"], r["family"]) for r in found] == [
        ("8.8.8.8", 443, socket.AF_INET),
        ("2606:4700:4700::1111", 443, socket.AF_INET6),
    ]
    assert [r["host"] for r in await resolver.resolve("both.test", 443, socket.AF_INET)] == ["8.8.8.8"]
    with pytest.raises(AddressRefused, match="a loopback address"):
        await resolver.resolve("inside.test", 443, socket.AF_UNSPEC)
    with pytest.raises(Unresolvable):
        await resolver.resolve("nowhere.test", 443, socket.AF_UNSPEC)
